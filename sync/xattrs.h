/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Comparison of extended attributes (all namespaces the caller may read)
 * between a source entry and its remote copy, both named relative to an
 * open directory so no path is ever resolved from a root again.
 */
#ifndef BTSOOT_SYNC_XATTRS_H
#define BTSOOT_SYNC_XATTRS_H

#include <stdbool.h>

/*
 * name in sdir against name in rdir (name NULL: the directories
 * themselves). Returns 1 if the sets or any value differ, 0 if equal, and 0
 * with *remote_unsupported set when the remote cannot hold xattrs at all
 * (a known limitation, not a difference). The first differing attribute's
 * name goes to what (size n).
 */
int bt_xattrs_differ(int sdir, int rdir, const char *name, bool *remote_unsupported,
		     char *what, size_t n);

#endif
