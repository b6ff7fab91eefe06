/* SPDX-License-Identifier: BSD-3-Clause */
/* The JSON writer: see include/btsoot/json.h for what it promises. */
#include <errno.h>
#include <inttypes.h>
#include <string.h>

#include "btsoot/json.h"

/* Where escaped text goes: a FILE, or a buffer that takes whole pieces
 * only (so a truncated string never ends inside an escape or a character). */
struct sink {
	FILE *f;
	char *buf;
	size_t len, used, need;
	bool full;
};

static void put(struct sink *s, const char *p, size_t n)
{
	s->need += n;
	if (s->f) {
		fwrite(p, 1, n, s->f);
		return;
	}
	if (s->full || s->used + n >= s->len) {
		s->full = true;
		return;
	}
	memcpy(s->buf + s->used, p, n);
	s->used += n;
}

size_t bt_utf8_seq_len(const unsigned char *s, size_t n)
{
	unsigned char c = s[0];
	unsigned char lo = 0x80, hi = 0xBF;
	size_t len;

	if (c < 0x80)
		return 1;
	if (c >= 0xC2 && c <= 0xDF)
		len = 2;
	else if (c >= 0xE0 && c <= 0xEF)
		len = 3;
	else if (c >= 0xF0 && c <= 0xF4)
		len = 4;
	else
		return 0; /* a continuation byte, an overlong lead (C0, C1), F5..FF */
	if (c == 0xE0)
		lo = 0xA0; /* overlong */
	else if (c == 0xED)
		hi = 0x9F; /* UTF-16 surrogates */
	else if (c == 0xF0)
		lo = 0x90; /* overlong */
	else if (c == 0xF4)
		hi = 0x8F; /* past U+10FFFF */
	if (n < len || s[1] < lo || s[1] > hi)
		return 0;
	for (size_t i = 2; i < len; i++)
		if (s[i] < 0x80 || s[i] > 0xBF)
			return 0;
	return len;
}

static void put_escaped(struct sink *out, const char *str, size_t n)
{
	const unsigned char *s = (const unsigned char *)str;
	char esc[8];

	put(out, "\"", 1);
	for (size_t i = 0; i < n;) {
		size_t k = bt_utf8_seq_len(s + i, n - i);
		const char *short_esc = NULL;

		if (k == 0) {
			put(out, "\\ufffd", 6);
			i++;
			continue;
		}
		if (k > 1) {
			put(out, (const char *)s + i, k);
			i += k;
			continue;
		}
		switch (s[i]) {
		case '"': short_esc = "\\\""; break;
		case '\\': short_esc = "\\\\"; break;
		case '\b': short_esc = "\\b"; break;
		case '\f': short_esc = "\\f"; break;
		case '\n': short_esc = "\\n"; break;
		case '\r': short_esc = "\\r"; break;
		case '\t': short_esc = "\\t"; break;
		}
		if (short_esc) {
			put(out, short_esc, 2);
		} else if (s[i] < 0x20 || s[i] == 0x7f) {
			snprintf(esc, sizeof(esc), "\\u%04x", s[i]);
			put(out, esc, 6);
		} else {
			put(out, (const char *)s + i, 1);
		}
		i++;
	}
	put(out, "\"", 1);
}

size_t bt_json_quote(const char *s, size_t n, char *buf, size_t len)
{
	struct sink out = { .buf = buf, .len = len };

	put_escaped(&out, s, n);
	if (len)
		buf[out.used] = '\0';
	return out.need;
}

void bt_json_init(struct bt_json *w, FILE *f)
{
	memset(w, 0, sizeof(*w));
	w->f = f;
}

static void fail(struct bt_json *w, int err)
{
	if (!w->err)
		w->err = err;
}

static void newline_indent(struct bt_json *w, int depth)
{
	fputc('\n', w->f);
	for (int i = 0; i < depth; i++)
		fputs("  ", w->f);
}

/* Before any value: the comma and indentation its place needs. False
 * (and the error remembered) when no value may come here. */
static bool value_slot(struct bt_json *w)
{
	if (w->err)
		return false;
	if (w->done) {
		fail(w, -EINVAL); /* a second top-level value */
		return false;
	}
	if (w->depth == 0)
		return true;
	if (w->kind[w->depth - 1] == 'o') {
		if (!w->after_key) {
			fail(w, -EINVAL); /* a value without its key */
			return false;
		}
		w->after_key = false;
		return true;
	}
	if (w->items[w->depth - 1])
		fputc(',', w->f);
	w->items[w->depth - 1] = true;
	newline_indent(w, w->depth);
	return true;
}

static void value_done(struct bt_json *w)
{
	if (w->depth == 0)
		w->done = true;
}

static void open_level(struct bt_json *w, char kind)
{
	if (!value_slot(w))
		return;
	if (w->depth == BT_JSON_DEPTH) {
		fail(w, -EINVAL);
		return;
	}
	fputc(kind == 'o' ? '{' : '[', w->f);
	w->kind[w->depth] = kind;
	w->items[w->depth] = false;
	w->depth++;
}

static void close_level(struct bt_json *w, char kind)
{
	if (w->err)
		return;
	if (w->depth == 0 || w->kind[w->depth - 1] != kind || w->after_key) {
		fail(w, -EINVAL);
		return;
	}
	w->depth--;
	if (w->items[w->depth])
		newline_indent(w, w->depth);
	fputc(kind == 'o' ? '}' : ']', w->f);
	value_done(w);
}

void bt_json_obj_begin(struct bt_json *w) { open_level(w, 'o'); }
void bt_json_obj_end(struct bt_json *w) { close_level(w, 'o'); }
void bt_json_arr_begin(struct bt_json *w) { open_level(w, 'a'); }
void bt_json_arr_end(struct bt_json *w) { close_level(w, 'a'); }

void bt_json_key(struct bt_json *w, const char *key)
{
	struct sink out = { .f = w->f };

	if (w->err)
		return;
	if (w->depth == 0 || w->kind[w->depth - 1] != 'o' || w->after_key) {
		fail(w, -EINVAL);
		return;
	}
	if (w->items[w->depth - 1])
		fputc(',', w->f);
	w->items[w->depth - 1] = true;
	newline_indent(w, w->depth);
	put_escaped(&out, key, strlen(key));
	fputs(": ", w->f);
	w->after_key = true;
}

void bt_json_strn(struct bt_json *w, const char *s, size_t n)
{
	struct sink out = { .f = w->f };

	if (!value_slot(w))
		return;
	put_escaped(&out, s, n);
	value_done(w);
}

static void raw_value(struct bt_json *w, const char *text)
{
	if (!value_slot(w))
		return;
	fputs(text, w->f);
	value_done(w);
}

void bt_json_str(struct bt_json *w, const char *s)
{
	if (s)
		bt_json_strn(w, s, strlen(s));
	else
		raw_value(w, "null");
}

void bt_json_i64(struct bt_json *w, int64_t v)
{
	char num[24];

	snprintf(num, sizeof(num), "%" PRId64, v);
	raw_value(w, num);
}

void bt_json_bool(struct bt_json *w, bool v) { raw_value(w, v ? "true" : "false"); }
void bt_json_null(struct bt_json *w) { raw_value(w, "null"); }

void bt_json_kstr(struct bt_json *w, const char *key, const char *s)
{
	bt_json_key(w, key);
	bt_json_str(w, s);
}

void bt_json_ki64(struct bt_json *w, const char *key, int64_t v)
{
	bt_json_key(w, key);
	bt_json_i64(w, v);
}

void bt_json_kbool(struct bt_json *w, const char *key, bool v)
{
	bt_json_key(w, key);
	bt_json_bool(w, v);
}

void bt_json_knull(struct bt_json *w, const char *key)
{
	bt_json_key(w, key);
	bt_json_null(w);
}

int bt_json_end(struct bt_json *w)
{
	if (!w->err && !w->done)
		fail(w, -EINVAL);
	if (!w->err)
		fputc('\n', w->f);
	if (fflush(w->f) != 0 || ferror(w->f))
		fail(w, -EIO);
	return w->err;
}
