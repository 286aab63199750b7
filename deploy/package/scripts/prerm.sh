#!/bin/sh
# {{.Name}} before its files go. dpkg runs it as "prerm remove" (or
# "upgrade NEW-VERSION"); rpm as %preun with the number of versions left: 0
# on removal, 1 on an upgrade. An upgrade keeps the service running until
# the new postinst restarts it.
set -e

unit={{.Name}}.service

case "$1" in
remove | deconfigure | 0) ;;
*) exit 0 ;;
esac

if command -v systemctl >/dev/null 2>&1; then
	# Stop only a service manager that runs (not in a chroot or a build
	# root), and the unit only if it is there.
	if [ -d /run/systemd/system ]; then
		systemctl stop "$unit" || true
	fi
	systemctl disable "$unit" || true
fi
exit 0
