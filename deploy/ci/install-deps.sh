#!/bin/sh
# Installs the Debian packages the tests need (the system tests' brokers,
# PostgreSQL, tools and browser; node for the counter screen's unit tests), if any is
# missing.
# Quiet and quick when everything is present; safe to run repeatedly.
set -eu

# package:command that proves it is installed
needs="mosquitto:mosquitto mosquitto:mosquitto_passwd mosquitto-clients:mosquitto_pub socat:socat chromium:chromium nodejs:node"
# The channels test reads complaints from a real IMAP server.
needs="$needs dovecot-imapd:dovecot"
# The package tests (deploy/package): dpkg-deb and dpkg read and install the
# .deb, rpm reads and installs the .rpm, systemd-analyze verifies the units,
# useradd is what postinst calls, systemd-nspawn boots systemd in a container
# to run the units.
needs="$needs dpkg:dpkg-deb dpkg:dpkg rpm:rpm systemd:systemd-analyze passwd:useradd systemd-container:systemd-nspawn curl:curl"

have() {
	command -v "$1" >/dev/null 2>&1 || [ -x "/usr/sbin/$1" ] || [ -x "/usr/bin/$1" ]
}

missing=""
for n in $needs; do
	pkg=${n%%:*}
	cmd=${n#*:}
	if ! have "$cmd"; then
		case " $missing " in *" $pkg "*) ;; *) missing="$missing $pkg" ;; esac
	fi
done
# The store tests start their own PostgreSQL from the server binaries,
# which Debian keeps off the PATH.
if ! { ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || have initdb; }; then
	missing="$missing postgresql"
fi
# The browser test's screenshots show Chinese text; without a CJK font it
# renders as empty boxes.
if ! { command -v fc-list >/dev/null 2>&1 && [ -n "$(fc-list :lang=zh family 2>/dev/null)" ]; }; then
	missing="$missing fonts-noto-cjk"
fi
[ -z "$missing" ] && exit 0
missing=${missing# }

if [ "$(id -u)" -ne 0 ]; then
	echo "install-deps: missing packages: $missing" >&2
	echo "install-deps: install them with: sudo apt-get install -y $missing" >&2
	exit 1
fi
if ! command -v apt-get >/dev/null 2>&1; then
	echo "install-deps: missing packages: $missing, and apt-get is not available; install them with your package manager" >&2
	exit 1
fi

export DEBIAN_FRONTEND=noninteractive
echo "install-deps: installing $missing"
# shellcheck disable=SC2086 # word splitting of the package list is intended
if ! apt-get install -y -qq --no-install-recommends $missing >/dev/null 2>&1; then
	# The package lists may be missing or stale on a fresh machine.
	apt-get update -qq
	apt-get install -y -qq --no-install-recommends $missing >/dev/null
fi
