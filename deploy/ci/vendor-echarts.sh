#!/bin/sh
# Fetches Apache ECharts from the npm registry and puts the one file the
# head-office screen loads (the minified ES module build) under
# hub/ui/static/vendor/echarts/, with ECharts' LICENSE and NOTICE, the d3
# licence its LICENSE refers to, and the licence of zrender, which the
# build bundles. VERSION records the versions, the registry's integrity of
# each tarball and the sha512 of the file; hub/ui's Go test checks the
# embedded file against that sha512.
#
#   deploy/ci/vendor-echarts.sh          fetch and write the files
#   deploy/ci/vendor-echarts.sh --check  fetch and compare with what is committed
#
# Each tarball is checked against the registry's dist.integrity before
# anything is taken out of it, so a changed or corrupted download fails
# here. Needs npm (for `npm view` and `npm pack`), node, tar and sha512sum.
set -eu

echarts=6.1.0
zrender=6.1.0 # the version echarts@$echarts depends on
dir=hub/ui/static/vendor/echarts
file=echarts.esm.min.js

cd "$(dirname "$0")/../.."
check=false
case "${1:-}" in
--check) check=true ;;
"") ;;
*) echo "usage: $0 [--check]" >&2; exit 2 ;;
esac

for c in npm node tar sha512sum; do
	command -v "$c" >/dev/null 2>&1 || { echo "vendor-echarts: $c is missing; install it (apt-get install -y nodejs npm)" >&2; exit 1; }
done

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# fetch NAME VERSION downloads NAME-VERSION.tgz into $tmp/NAME, checks it
# against the registry's integrity, unpacks it there and prints the integrity.
fetch() {
	want=$(npm view "$1@$2" dist.integrity)
	case "$want" in
	sha512-*) ;;
	*) echo "vendor-echarts: the registry gave no sha512 integrity for $1@$2: '$want'" >&2; exit 1 ;;
	esac
	mkdir -p "$tmp/$1"
	(cd "$tmp/$1" && npm pack --silent "$1@$2" >/dev/null)
	tgz="$tmp/$1/$1-$2.tgz"
	# The integrity is the base64 of the tarball's sha512.
	got="sha512-$(node -e 'const c=require("crypto"),f=require("fs");process.stdout.write(c.createHash("sha512").update(f.readFileSync(process.argv[1])).digest("base64"))' "$tgz")"
	if [ "$got" != "$want" ]; then
		echo "vendor-echarts: $1-$2.tgz has integrity $got, the registry says $want; not using it" >&2
		exit 1
	fi
	tar -xzf "$tgz" -C "$tmp/$1"
	echo "$want"
}

eint=$(fetch echarts "$echarts")
zint=$(fetch zrender "$zrender")
dep=$(node -e 'process.stdout.write(require(process.argv[1]).dependencies.zrender)' "$tmp/echarts/package/package.json")
if [ "$dep" != "$zrender" ]; then
	echo "vendor-echarts: echarts@$echarts bundles zrender $dep, not $zrender; update zrender= in this script" >&2
	exit 1
fi

out="$tmp/out"
mkdir "$out"
cp "$tmp/echarts/package/dist/$file" "$tmp/echarts/package/LICENSE" "$tmp/echarts/package/NOTICE" "$out/"
cp "$tmp/echarts/package/licenses/LICENSE-d3" "$out/"
cp "$tmp/zrender/package/LICENSE" "$out/LICENSE-zrender"
sum=$(sha512sum "$out/$file" | cut -d' ' -f1)
cat >"$out/VERSION" <<EOF
# Apache ECharts, vendored by deploy/ci/vendor-echarts.sh; change that script, not this file.
version $echarts
tarball https://registry.npmjs.org/echarts/-/echarts-$echarts.tgz
integrity $eint
zrender $zrender $zint
file $file
sha512 $sum
EOF

if $check; then
	if diff -r "$out" "$dir" >/dev/null; then
		echo "vendor-echarts: $dir matches echarts@$echarts ($eint)"
		exit 0
	fi
	diff -rq "$out" "$dir" >&2 || true
	echo "vendor-echarts: $dir differs from echarts@$echarts; run deploy/ci/vendor-echarts.sh" >&2
	exit 1
fi

rm -rf "$dir"
mkdir -p "$dir"
cp "$out"/* "$dir/"
echo "vendor-echarts: wrote $dir ($file, sha512 $sum)"
