/*-------------------------------------------------------------------------
 *
 * main.c
 *		pg_lakefs_gateway: command line, logging, the HTTP daemon's life and
 *		graceful shutdown.
 *
 *	pg_lakefs_gateway --dsn 'host=... dbname=...' [--listen 127.0.0.1:7480]
 *					  [--workers N] [--log-level error|warning|info|debug]
 *					  [--max-skew S] [--key-cache S] [--redirect-get off|ask|always]
 *
 * On SIGTERM or SIGINT the daemon stops accepting connections, lets the
 * requests in flight finish (at most 7 s), closes idle keep-alive
 * connections and exits 0.
 *
 *-------------------------------------------------------------------------
 */
#include <errno.h>
#include <getopt.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <netinet/in.h>

#include <curl/curl.h>
#include <libxml/xmlversion.h>
#include <libxml/parser.h>

#include "gw.h"

GwConfig	gw_config = {
	.dsn = "",
	.listen_host = "127.0.0.1",
	.listen_port = 7480,
	.workers = 8,
	.log_level = GW_LOG_INFO,
	.max_skew_seconds = 15 * 60,
	.key_cache_seconds = 60,
	.redirect_get = GW_REDIRECT_OFF,
};

static pthread_mutex_t log_lock = PTHREAD_MUTEX_INITIALIZER;

/* gw_now: wall-clock seconds (for durations in the log) */
double
gw_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

/* gw_log: one line on stderr with a UTC timestamp, when level is enabled */
void
gw_log(GwLogLevel level, const char *fmt,...)
{
	static const char *const names[] = {"ERROR", "WARNING", "INFO", "DEBUG"};
	char		ts[32];
	time_t		now = time(NULL);
	struct tm	tm;
	va_list		ap;

	if (level > gw_config.log_level)
		return;
	gmtime_r(&now, &tm);
	strftime(ts, sizeof(ts), "%Y-%m-%dT%H:%M:%SZ", &tm);
	pthread_mutex_lock(&log_lock);
	fprintf(stderr, "%s %s ", ts, names[level]);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	fflush(stderr);
	pthread_mutex_unlock(&log_lock);
}

static void
usage(FILE *f)
{
	fprintf(f,
			"pg_lakefs_gateway: an S3 endpoint for pg_lakefs repositories\n\n"
			"Usage: pg_lakefs_gateway --dsn CONNINFO [OPTIONS]\n\n"
			"  --dsn CONNINFO       libpq connection string of the database\n"
			"  --listen HOST:PORT   address to listen on (default 127.0.0.1:7480)\n"
			"  --workers N          pooled database connections (default 8)\n"
			"  --log-level LEVEL    error, warning, info (one line per request) or debug\n"
			"  --max-skew SECONDS   allowed clock skew of signed requests (default 900)\n"
			"  --key-cache SECONDS  keep verified signing keys this long (default 60, 0 = off)\n"
			"  --redirect-get MODE  off, ask (?presign=true) or always: GetObject answers\n"
			"                       307 to a presigned URL of the object store (default off)\n"
			"  --help               this text\n");
}

static bool
parse_listen(const char *arg)
{
	const char *colon = strrchr(arg, ':');
	char	   *end;
	long		port;
	static char host[256];

	if (colon == NULL || colon == arg || (size_t) (colon - arg) >= sizeof(host))
		return false;
	port = strtol(colon + 1, &end, 10);
	if (*end || port <= 0 || port > 65535)
		return false;
	memcpy(host, arg, colon - arg);
	host[colon - arg] = '\0';
	gw_config.listen_host = host;
	gw_config.listen_port = (int) port;
	return true;
}

static bool
parse_args(int argc, char **argv)
{
	static const struct option opts[] = {
		{"dsn", required_argument, NULL, 'd'},
		{"listen", required_argument, NULL, 'l'},
		{"workers", required_argument, NULL, 'w'},
		{"log-level", required_argument, NULL, 'L'},
		{"max-skew", required_argument, NULL, 's'},
		{"key-cache", required_argument, NULL, 'k'},
		{"redirect-get", required_argument, NULL, 'r'},
		{"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0}
	};
	int			c;
	char	   *end;

	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1)
	{
		switch (c)
		{
			case 'd':
				gw_config.dsn = optarg;
				break;
			case 'l':
				if (!parse_listen(optarg))
				{
					fprintf(stderr, "pg_lakefs_gateway: invalid --listen \"%s\" (want HOST:PORT)\n", optarg);
					return false;
				}
				break;
			case 'w':
				gw_config.workers = (int) strtol(optarg, &end, 10);
				if (*end || gw_config.workers < 1 || gw_config.workers > 1000)
				{
					fprintf(stderr, "pg_lakefs_gateway: --workers must be 1..1000\n");
					return false;
				}
				break;
			case 's':
				gw_config.max_skew_seconds = (int) strtol(optarg, &end, 10);
				if (*end || gw_config.max_skew_seconds < 1)
				{
					fprintf(stderr, "pg_lakefs_gateway: --max-skew must be a positive number of seconds\n");
					return false;
				}
				break;
			case 'k':
				gw_config.key_cache_seconds = (int) strtol(optarg, &end, 10);
				if (*end || *optarg == '\0' || gw_config.key_cache_seconds < 0 ||
					gw_config.key_cache_seconds > 3600)
				{
					fprintf(stderr, "pg_lakefs_gateway: --key-cache must be 0..3600 seconds\n");
					return false;
				}
				break;
			case 'r':
				if (strcmp(optarg, "off") == 0)
					gw_config.redirect_get = GW_REDIRECT_OFF;
				else if (strcmp(optarg, "ask") == 0)
					gw_config.redirect_get = GW_REDIRECT_ASK;
				else if (strcmp(optarg, "always") == 0)
					gw_config.redirect_get = GW_REDIRECT_ALWAYS;
				else
				{
					fprintf(stderr, "pg_lakefs_gateway: --redirect-get must be off, ask or always\n");
					return false;
				}
				break;
			case 'L':
				if (strcmp(optarg, "error") == 0)
					gw_config.log_level = GW_LOG_ERROR;
				else if (strcmp(optarg, "warning") == 0)
					gw_config.log_level = GW_LOG_WARNING;
				else if (strcmp(optarg, "info") == 0)
					gw_config.log_level = GW_LOG_INFO;
				else if (strcmp(optarg, "debug") == 0)
					gw_config.log_level = GW_LOG_DEBUG;
				else
				{
					fprintf(stderr, "pg_lakefs_gateway: --log-level must be error, warning, info or debug\n");
					return false;
				}
				break;
			case 'h':
				usage(stdout);
				exit(0);
			default:
				usage(stderr);
				return false;
		}
	}
	if (optind < argc)
	{
		fprintf(stderr, "pg_lakefs_gateway: unexpected argument \"%s\"\n", argv[optind]);
		return false;
	}
	return true;
}

/* http.c */
extern struct MHD_Daemon *gw_http_start(const struct sockaddr_in *addr);
extern int	gw_http_in_flight(void);

int
main(int argc, char **argv)
{
	struct sockaddr_in addr;
	struct MHD_Daemon *d;
	sigset_t	sigs;
	int			sig = 0;

	if (!parse_args(argc, argv))
		return 2;
	memset(&addr, 0, sizeof(addr));
	addr.sin_family = AF_INET;
	addr.sin_port = htons(gw_config.listen_port);
	if (inet_pton(AF_INET, strcmp(gw_config.listen_host, "localhost") == 0 ?
				  "127.0.0.1" : gw_config.listen_host, &addr.sin_addr) != 1)
	{
		fprintf(stderr, "pg_lakefs_gateway: --listen needs an IPv4 address, not \"%s\"\n",
				gw_config.listen_host);
		return 2;
	}

	/* SIGTERM/SIGINT are taken by sigwait below; every thread inherits the mask */
	sigemptyset(&sigs);
	sigaddset(&sigs, SIGTERM);
	sigaddset(&sigs, SIGINT);
	pthread_sigmask(SIG_BLOCK, &sigs, NULL);
	signal(SIGPIPE, SIG_IGN);

	LIBXML_TEST_VERSION;
	if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK)
	{
		fprintf(stderr, "pg_lakefs_gateway: could not initialise libcurl\n");
		return 1;
	}
	if (gw_pool_init(gw_config.dsn, gw_config.workers) != 0)
		return 1;
	gw_key_cache_start(gw_config.dsn);
	d = gw_http_start(&addr);
	if (d == NULL)
	{
		gw_key_cache_stop();
		gw_log(GW_LOG_ERROR, "could not listen on %s:%d: %s", gw_config.listen_host,
			   gw_config.listen_port, strerror(errno));
		gw_pool_close();
		return 1;
	}
	gw_log(GW_LOG_INFO, "listening on %s:%d with %d database connections",
		   gw_config.listen_host, gw_config.listen_port, gw_config.workers);

	while (sigwait(&sigs, &sig) != 0)
		;
	gw_log(GW_LOG_INFO, "signal %d: finishing %d requests in flight", sig, gw_http_in_flight());
	MHD_quiesce_daemon(d);
	for (int i = 0; i < 70 && gw_http_in_flight() > 0; i++)
		usleep(100 * 1000);
	/* what is still running fails its store transfer now, so that it ends */
	gw_store_stop();
	MHD_stop_daemon(d);
	gw_key_cache_stop();
	gw_pool_close();
	curl_global_cleanup();
	xmlCleanupParser();
	gw_log(GW_LOG_INFO, "stopped");
	return 0;
}
