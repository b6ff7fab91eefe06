/* SPDX-License-Identifier: BSD-3-Clause */
/* The NEEDS_RESCAN note (contract in rescan_note.h). */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "btsoot/rescan_note.h"

#define NOTE "NEEDS_RESCAN"

int bt_rescan_note_set(const char *state_dir, const char *why)
{
	char path[PATH_MAX], tmp[PATH_MAX];
	bool had;
	int fd, rc;

	if (snprintf(path, sizeof(path), "%s/" NOTE, state_dir) >= (int)sizeof(path) ||
	    snprintf(tmp, sizeof(tmp), "%s/." NOTE ".XXXXXX", state_dir) >= (int)sizeof(tmp))
		return -ENAMETOOLONG;
	had = access(path, F_OK) == 0;
	fd = mkostemp(tmp, O_CLOEXEC);
	if (fd < 0) { /* no room for another file: this one at least */
		fd = open(path, O_WRONLY | O_CREAT | O_CLOEXEC, 0600);
		if (fd < 0)
			return -errno;
		close(fd);
		return had ? 0 : 1;
	}
	/* Unwritten (a full disk), the note still says "compare everything". */
	if (write(fd, why, strlen(why)) >= 0)
		(void)!write(fd, "\n", 1);
	close(fd);
	if (rename(tmp, path) < 0) {
		rc = -errno;
		unlink(tmp);
		return rc;
	}
	return had ? 0 : 1;
}

int bt_rescan_note_get(const char *state_dir, ino_t *ino)
{
	char path[PATH_MAX];
	struct stat st;

	snprintf(path, sizeof(path), "%s/" NOTE, state_dir);
	if (stat(path, &st) < 0)
		return 0;
	*ino = st.st_ino;
	return 1;
}

void bt_rescan_note_clear(const char *state_dir, ino_t ino)
{
	char path[PATH_MAX], mine[PATH_MAX + 32];
	struct stat st;

	snprintf(path, sizeof(path), "%s/" NOTE, state_dir);
	snprintf(mine, sizeof(mine), "%s/." NOTE ".seen.%ld", state_dir, (long)getpid());
	/* Taken aside first: between a check and an unlink a new note could
	 * replace the one seen. One written since goes back (EEXIST: a newer
	 * one still is there already). */
	if (rename(path, mine) < 0)
		return;
	if (stat(mine, &st) == 0 && st.st_ino != ino)
		(void)link(mine, path);
	unlink(mine);
}
