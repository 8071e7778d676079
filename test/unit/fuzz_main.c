/*-------------------------------------------------------------------------
 *
 * fuzz_main.c
 *		Standalone driver for the fuzz targets when libFuzzer is missing:
 *		runs LLVMFuzzerTestOneInput once over each file named (directories
 *		are walked one level).
 *
 *-------------------------------------------------------------------------
 */
#include <dirent.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>

int			LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Run the target over one file; returns 1 if it could be read. */
static int
run_file(const char *path)
{
	FILE	   *f = fopen(path, "rb");
	uint8_t    *buf;
	long		n;

	if (f == NULL)
		return 0;
	fseek(f, 0, SEEK_END);
	n = ftell(f);
	fseek(f, 0, SEEK_SET);
	buf = malloc(n > 0 ? n : 1);
	n = (long) fread(buf, 1, n, f);
	fclose(f);
	LLVMFuzzerTestOneInput(buf, (size_t) n);
	free(buf);
	return 1;
}

int
main(int argc, char **argv)
{
	int			runs = 0;

	for (int i = 1; i < argc; i++)
	{
		struct stat st;

		if (stat(argv[i], &st) == 0 && S_ISDIR(st.st_mode))
		{
			DIR		   *d = opendir(argv[i]);
			struct dirent *e;

			while (d && (e = readdir(d)) != NULL)
			{
				char		path[4096];

				if (e->d_name[0] == '.')
					continue;
				snprintf(path, sizeof(path), "%.2000s/%.1000s", argv[i], e->d_name);
				runs += run_file(path);
			}
			if (d)
				closedir(d);
		}
		else
			runs += run_file(argv[i]);
	}
	printf("%d inputs run\n", runs);
	return 0;
}
