# Makefile — PGXS build of pg_lakefs, its unit tests and its test harness.

EXTENSION = pg_lakefs
EXTVERSION = 0.1.0

MODULE_big = pg_lakefs
OBJS = \
	src/pg_lakefs.o \
	src/lk_alloc.o \
	src/strbuf.o \
	src/s3_sign.o \
	src/s3_xml.o \
	src/s3_client.o \
	src/blockstore.o \
	src/blockstore_s3.o \
	src/blockstore_local.o \
	src/blockstore_sql.o \
	src/option.o \
	src/fdw.o

DATA = $(wildcard extension/pg_lakefs--*.sql)

REGRESS = $(sort $(patsubst sql/%.sql,%,$(wildcard sql/*.sql)))
REGRESS_OPTS = --inputdir=. --load-extension=pg_lakefs

PKG_LIBS = libcurl openssl jansson libxml-2.0
PG_CPPFLAGS = -Isrc $(shell pkg-config --cflags $(PKG_LIBS))
SHLIB_LINK = $(shell pkg-config --libs $(PKG_LIBS))

EXTRA_CLEAN = tmp_install results regression.diffs regression.out test/unit/bin

PG_CONFIG ?= pg_config
PGXS := $(shell $(PG_CONFIG) --pgxs)
include $(PGXS)

# C unit tests and fuzz targets: plain C, no server.
.PHONY: unit test demo
unit:
	$(MAKE) -C test/unit

# The one command that runs every suite (see README.md).
test:
	test/run
