#!/usr/bin/env bash
# Regenerates Sources/ONNXSchema/onnx-ml.pb.swift from scripts/onnx/onnx-ml.proto (ONNX's schema,
# Apache-2.0, copied from the onnx package's onnx/onnx-ml.proto of the version named in its header).
# The generated code is committed, so that building mle never runs protoc: this script is only for
# moving to a newer schema. It installs protoc (Debian's protobuf-compiler) when missing and builds
# protoc-gen-swift from the swift-protobuf version Package.swift names.
#   scripts/onnx/regenerate.sh
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
source "$root/scripts/setup.sh"
if ! command -v protoc >/dev/null; then
    echo "onnx: installing protoc (protobuf-compiler, apt-get)" >&2
    sudo=""; [ "$(id -u)" -ne 0 ] && sudo="sudo"
    $sudo apt-get update -qq && DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq protobuf-compiler
fi
version="$(sed -n 's/.*swift-protobuf", exact: "\([0-9.]*\)".*/\1/p' "$root/Package.swift")"
plugin_dir="$root/.build-protoc-gen-swift"
if [ ! -x "$plugin_dir/src/.build/release/protoc-gen-swift" ]; then
    echo "onnx: building protoc-gen-swift $version (about two minutes)" >&2
    rm -rf "$plugin_dir" && mkdir -p "$plugin_dir"
    git clone -q https://github.com/apple/swift-protobuf "$plugin_dir/src"
    git -C "$plugin_dir/src" checkout -q "$version"
    (cd "$plugin_dir/src" && swift build -c release --product protoc-gen-swift)
fi
protoc --plugin=protoc-gen-swift="$plugin_dir/src/.build/release/protoc-gen-swift" \
    --swift_opt=Visibility=Public --swift_out="$root/Sources/ONNXSchema" \
    -I "$root/scripts/onnx" "$root/scripts/onnx/onnx-ml.proto"
echo "onnx: wrote Sources/ONNXSchema/onnx-ml.pb.swift" >&2
