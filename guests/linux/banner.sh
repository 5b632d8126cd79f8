#!/bin/sh
# What the console shows before the first prompt.
echo "Bulkhead Linux guest: $(uname -r), $(grep -c ^processor /proc/cpuinfo) CPUs"
