#!/usr/bin/env bash
# test/install-deps.sh — install the Debian packages the build, the tests and the
# demo need. Idempotent: returns at once when everything is already there.
set -euo pipefail

PKGS=(
    postgresql-15 postgresql-server-dev-15 postgresql-contrib postgresql-15-cron
    libcurl4-openssl-dev libssl-dev libjansson-dev libxml2-dev pkg-config
    make gcc curl ca-certificates
    libipc-run-perl
    ceph-mon ceph-osd radosgw
    python3-psycopg python3-sklearn python3-pandas python3-matplotlib python3-pil
    libmicrohttpd-dev libpq-dev zlib1g-dev python3-boto3 awscli
    jupyter-nbconvert python3-ipykernel
)
[ -n "${LAKEFS_EXTRA_PKGS:-}" ] && PKGS+=(${LAKEFS_EXTRA_PKGS})

missing=()
for p in "${PKGS[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0

if [ "$(id -u)" -ne 0 ]; then
    echo "install-deps: missing packages: ${missing[*]}" >&2
    echo "install-deps: run as root, or: sudo apt-get install ${missing[*]}" >&2
    exit 1
fi
echo "install-deps: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
