/* extension/pg_lakefs--0.1.0--0.2.0.sql */

-- complain if script is sourced in psql, rather than via ALTER EXTENSION
\echo Use "ALTER EXTENSION pg_lakefs UPDATE TO '0.2.0'" to load this file. \quit

-- 0.2.0: every schema and function change since the frozen 0.1.0. A new
-- installation runs 0.1.0's script and then this one, so both paths end in the
-- same catalog (test/t/upgrade.sh proves it).
