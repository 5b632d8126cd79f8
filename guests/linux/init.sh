#!/bin/sh
# The default /init of Bulkhead's Linux guests: set up, then a shell on the console.
. /lib/bulkhead/setup.sh
echo "Bulkhead Linux guest: $(uname -r), $(grep -c ^processor /proc/cpuinfo) CPUs"
exec setsid cttyhack sh
