# Makefile — PGXS build of pg_lakefs, its unit tests and its test harness.

EXTENSION = pg_lakefs
EXTVERSION = 0.2.0

MODULE_big = pg_lakefs
OBJS = \
	src/common/chunker.o \
	src/common/lakefs_hash.o \
	src/common/lk_alloc.o \
	src/common/path_sort.o \
	src/common/range_codec.o \
	src/common/s3_sign.o \
	src/common/s3_xml.o \
	src/common/strbuf.o \
	src/access_keys.o \
	src/api_args.o \
	src/api_commit.o \
	src/api_diff.o \
	src/api_experiments.o \
	src/api_gc.o \
	src/api_multipart.o \
	src/api_history.o \
	src/api_objects.o \
	src/api_refs.o \
	src/api_s3.o \
	src/blockstore.o \
	src/blockstore_local.o \
	src/blockstore_s3.o \
	src/catalog.o \
	src/catalog_blob.o \
	src/catalog_namespace.o \
	src/catalog_history.o \
	src/catalog_spi.o \
	src/commit.o \
	src/diff.o \
	src/experiments.o \
	src/fdw.o \
	src/fsck.o \
	src/gc.o \
	src/gc_catalog.o \
	src/governance.o \
	src/history.o \
	src/import.o \
	src/listing.o \
	src/manifest.o \
	src/merge.o \
	src/metrics.o \
	src/names.o \
	src/objects.o \
	src/option.o \
	src/pg_lakefs.o \
	src/range_cache.o \
	src/ref_diff.o \
	src/refs.o \
	src/s3_client.o \
	src/s3_multipart.o \
	src/s3_object.o \
	src/staging.o \
	src/staging_bulk.o \

DATA = $(wildcard extension/pg_lakefs--*.sql)

REGRESS = $(sort $(patsubst sql/%.sql,%,$(wildcard sql/*.sql)))
REGRESS_OPTS = --inputdir=. --load-extension=pg_lakefs
ISOLATION = $(sort $(patsubst specs/%.spec,%,$(wildcard specs/*.spec)))
ISOLATION_OPTS = --inputdir=. --load-extension=pg_lakefs

PKG_LIBS = libcurl openssl jansson libxml-2.0
PG_CPPFLAGS = -Isrc -Isrc/common -DPG_LAKEFS_VERSION='"$(EXTVERSION)"' $(shell pkg-config --cflags $(PKG_LIBS))
SHLIB_LINK = $(shell pkg-config --libs $(PKG_LIBS)) -Wl,--version-script=src/exports.map


EXTRA_CLEAN = src/exports.map tmp_install results regression.diffs regression.out test/unit/bin

PG_CONFIG ?= pg_config
PGXS := $(shell $(PG_CONFIG) --pgxs)
include $(PGXS)

# The S3 gateway, a separate program: gateway/Makefile builds pg_lakefs_gateway and
# installs it into the server's bindir (README: "Use it from any S3 client").
.PHONY: gateway-program install-gateway-program clean-gateway-program
all: gateway-program
install: install-gateway-program
clean: clean-gateway-program
gateway-program:
	$(MAKE) -C gateway PG_CONFIG='$(PG_CONFIG)'
install-gateway-program: gateway-program
	$(MAKE) -C gateway install PG_CONFIG='$(PG_CONFIG)'
clean-gateway-program:
	$(MAKE) -C gateway clean

# Only the SQL entry points (every PG_FUNCTION_INFO_V1), _PG_init and the magic
# block are exported: the library's internal symbols stay out of a server that
# loads libraries into one namespace. The list is derived from the sources.
src/exports.map: $(OBJS:.o=.c)
	{ echo '{ global: _PG_init; Pg_magic_func;'; \
	  sed -n 's/^PG_FUNCTION_INFO_V1(\([a-z_0-9]*\));.*/\1; pg_finfo_\1;/p' $^; \
	  echo 'local: *; };'; } > $@
$(shlib): src/exports.map

# C unit tests and fuzz targets: plain C, no server.
.PHONY: unit test demo
unit:
	$(MAKE) -C test/unit

# The one command that runs every suite (see README.md).
test:
	test/run

# The parallel-experiments workflow on throwaway servers (see README.md).
demo:
	examples/run-demo.sh

# The version is compiled in from EXTVERSION: rebuild what embeds it when it changes.
src/pg_lakefs.o src/pg_lakefs.bc: Makefile
