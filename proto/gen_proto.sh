#!/bin/sh
# Runs protoc with the gRPC plugin and flattens the output into one folder, so includes read
# "authservice.pb.h" whatever the .proto paths are.
set -e
protoc="$1"; plugin="$2"; srcdir="$3"; outdir="$4"; shift 4
srcdir=$(realpath "$srcdir")
tmp="$outdir/proto-gen.tmp"
rel=""
for f in "$@"; do rel="$rel $(realpath --relative-to="$srcdir" "$f")"; done
rm -rf "$tmp"; mkdir -p "$tmp"
"$protoc" -I"$srcdir" -I/usr/include --cpp_out="$tmp" --grpc_out="$tmp" \
  --plugin=protoc-gen-grpc="$plugin" $rel
find "$tmp" -name '*.grpc.pb.*' -path '*types*' -delete
find "$tmp" \( -name 'wrappers.grpc.pb.*' -o -name 'metadata.grpc.pb.*' -o -name 'access_monitoring_rules.grpc.pb.*' \) -delete
for f in $(find "$tmp" -type f); do
  b=$(basename "$f")
  # Rewrite includes of other generated headers to the flat names.
  sed -E 's#include "([^"]*/)?([a-z_]+\.(grpc\.)?pb\.h)"#include "\2"#' "$f" > "$outdir/$b"
done
rm -rf "$tmp"
