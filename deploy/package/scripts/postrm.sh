#!/bin/sh
# {{.Name}} after its files went. dpkg runs it as "postrm remove" and later
# "postrm purge"; rpm as %postun with the number of versions left.
#
# Neither removal nor purge deletes {{.DataDir}}: it holds the events
# (rpm and dpkg do not own it). The user {{.User}} stays too: it owns that
# data, and a user made again would get another uid and lose it.
set -e

case "$1" in
remove | purge | 0)
	if [ -d /run/systemd/system ]; then
		systemctl daemon-reload || true
	fi
	;;
esac
if [ "$1" = purge ]; then
	# The unit file is gone, so systemctl disable cannot read its
	# [Install]: remove the link it made (WantedBy=multi-user.target).
	rm -f /etc/systemd/system/multi-user.target.wants/{{.Name}}.service
	echo "{{.Name}}: purged; {{.DataDir}} and the user {{.User}} are kept. Remove them by hand once the data is no longer needed." >&2
fi
exit 0
