/* Bulkhead's version, as `info` and the boot line say it. */
#ifndef BULKHEAD_CORE_VERSION_H
#define BULKHEAD_CORE_VERSION_H

#define BULKHEAD_VERSION "0.1.0"

#endif
