/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * A small streaming JSON writer for the --json outputs of btsoot status,
 * btsoot check, btsoot-sync --dry-run and btsoot-verify.
 *
 * What it promises:
 * - the output is valid UTF-8 JSON (RFC 8259) whatever bytes a string
 *   holds: '"' and '\' are escaped, control characters U+0000..U+001F and
 *   DEL as \b \f \n \r \t or \u00XX; a byte that does not start a valid
 *   UTF-8 sequence (paths are any bytes; overlong forms, surrogates and
 *   code points past U+10FFFF count as invalid) is written as \ufffd, the
 *   replacement character, one per byte. Such a path is shown, not
 *   reproduced byte for byte (the programs' plain output escapes it
 *   reversibly, see bt_path_printable);
 * - objects and arrays nest up to BT_JSON_DEPTH; pretty-printed with two
 *   spaces per level, one member or element per line, a newline at the end;
 * - misuse (a value without a key inside an object, a key in an array,
 *   unbalanced ends, too deep) and write errors are remembered: the calls
 *   return nothing, bt_json_end says 0 or the first error (-EINVAL, -EIO).
 */
#ifndef BTSOOT_JSON_H
#define BTSOOT_JSON_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#define BT_JSON_DEPTH 32

struct bt_json {
	FILE *f;
	int depth;
	char kind[BT_JSON_DEPTH];  /* 'o' object, 'a' array, per level */
	bool items[BT_JSON_DEPTH]; /* the level holds a member or element */
	bool after_key;            /* a key was written, its value is due */
	bool done;                 /* the top-level value is complete */
	int err;
};

void bt_json_init(struct bt_json *w, FILE *f);
void bt_json_obj_begin(struct bt_json *w);
void bt_json_obj_end(struct bt_json *w);
void bt_json_arr_begin(struct bt_json *w);
void bt_json_arr_end(struct bt_json *w);
void bt_json_key(struct bt_json *w, const char *key);
/* s NULL: null. */
void bt_json_str(struct bt_json *w, const char *s);
void bt_json_strn(struct bt_json *w, const char *s, size_t n);
void bt_json_i64(struct bt_json *w, int64_t v);
void bt_json_bool(struct bt_json *w, bool v);
void bt_json_null(struct bt_json *w);
/* A member in one call. */
void bt_json_kstr(struct bt_json *w, const char *key, const char *s);
void bt_json_ki64(struct bt_json *w, const char *key, int64_t v);
void bt_json_kbool(struct bt_json *w, const char *key, bool v);
void bt_json_knull(struct bt_json *w, const char *key);
/* Ends the document (a newline) and flushes: 0, -EINVAL (misuse, or the
 * document is not complete) or -EIO. */
int bt_json_end(struct bt_json *w);

/* Length of the valid UTF-8 sequence at s (1..4, at most n bytes), or 0
 * when s[0] does not start one. */
size_t bt_utf8_seq_len(const unsigned char *s, size_t n);
/* The JSON text of string s[0..n) with its quotes into buf (truncated at a
 * character boundary, NUL-terminated); the length it needs, like snprintf. */
size_t bt_json_quote(const char *s, size_t n, char *buf, size_t len);

#endif
