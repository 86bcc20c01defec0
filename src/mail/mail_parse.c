/*
 * mail_parse.c: reading the MTA's pipe and taking a message apart:
 * plain messages without GMime (mail_plain.c), the others with GMime.
 * The only file that includes gmime.h.
 *
 * GMime is opened when the first message that needs it arrives rather
 * than linked (util/dynlib.h): with it come GLib, GObject, GIO, gpgme
 * and nine more libraries, whose loading, relocations and constructors
 * were the largest part of the cost of each "pksync mail-filter"
 * process, although most messages (incrementals above all) need none
 * of them.  The GMime and GLib functions used here are called through
 * the opened library's addresses (the defines below), so the code
 * reads as GMime's manual says.
 *
 * The pipe is read into memory first (GMime's fs stream fails on a
 * pipe; test-rig.md §4) and handed to GMime as a memory stream in
 * message format, which skips a leading mbox "From " line.
 */
#include <config.h>

#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include <gmime/gmime.h>

#include "mail/mail_parse.h"
#include "mail/mail_plain.h"
#include "util/dynlib.h"
#include "util/limits.h"
#include "util/log.h"
#include "util/xalloc.h"

#ifndef PKS_GMIME_SONAME
#define PKS_GMIME_SONAME "libgmime-3.0.so.0"
#endif

/* Every GMime, GObject and GLib function this file calls. */
#define GM_FUNCS(X)                                                            \
	X(g_free)                                                              \
	X(g_object_unref)                                                      \
	X(g_type_check_instance_cast)                                          \
	X(g_type_check_instance_is_a)                                          \
	X(g_mime_init)                                                         \
	X(g_mime_content_type_get_mime_type)                                   \
	X(g_mime_data_wrapper_write_to_stream)                                 \
	X(g_mime_header_get_name)                                              \
	X(g_mime_header_get_value)                                             \
	X(g_mime_header_list_get_count)                                        \
	X(g_mime_header_list_get_header_at)                                    \
	X(g_mime_message_foreach)                                              \
	X(g_mime_message_get_from)                                             \
	X(g_mime_message_get_message_id)                                       \
	X(g_mime_message_get_mime_part)                                        \
	X(g_mime_message_get_reply_to)                                         \
	X(g_mime_message_get_subject)                                          \
	X(g_mime_object_get_content_type)                                      \
	X(g_mime_object_get_header)                                            \
	X(g_mime_object_get_header_list)                                       \
	X(g_mime_object_get_type)                                              \
	X(g_mime_parser_construct_message)                                     \
	X(g_mime_parser_new_with_stream)                                       \
	X(g_mime_parser_set_format)                                            \
	X(g_mime_part_get_content)                                             \
	X(g_mime_part_get_type)                                                \
	X(g_mime_stream_mem_get_byte_array)                                    \
	X(g_mime_stream_mem_get_type)                                          \
	X(g_mime_stream_mem_new)                                               \
	X(g_mime_stream_mem_new_with_buffer)                                   \
	X(internet_address_list_get_address)                                   \
	X(internet_address_list_length)                                        \
	X(internet_address_mailbox_get_addr)                                   \
	X(internet_address_mailbox_get_type)

#define GM_MEMBER(f) __typeof__(f) *f;
#define GM_SYM(f) { #f, (void (**)(void)) & gm.f },

/* The opened library's functions. */
static struct {
	GM_FUNCS(GM_MEMBER)
} gm;

static pthread_once_t gm_once = PTHREAD_ONCE_INIT;
static enum pks_rc gm_rc = PKS_ERR_IO;
static char gm_err[200];

static void
gm_open(void)
{
	const struct dynlib_sym syms[] = { GM_FUNCS(GM_SYM) };

	gm_rc = dynlib_open(PKS_GMIME_SONAME, syms,
	    sizeof(syms) / sizeof(syms[0]), gm_err, sizeof(gm_err));
	if (gm_rc == PKS_OK)
		gm.g_mime_init();
	else
		log_warnx("mail: cannot load GMime: %s", gm_err);
}

/* From here on, each name is the opened library's function. */
#define g_free (gm.g_free)
#define g_object_unref (gm.g_object_unref)
#define g_type_check_instance_cast (gm.g_type_check_instance_cast)
#define g_type_check_instance_is_a (gm.g_type_check_instance_is_a)
#define g_mime_content_type_get_mime_type (gm.g_mime_content_type_get_mime_type)
#define g_mime_data_wrapper_write_to_stream                                    \
	(gm.g_mime_data_wrapper_write_to_stream)
#define g_mime_header_get_name (gm.g_mime_header_get_name)
#define g_mime_header_get_value (gm.g_mime_header_get_value)
#define g_mime_header_list_get_count (gm.g_mime_header_list_get_count)
#define g_mime_header_list_get_header_at (gm.g_mime_header_list_get_header_at)
#define g_mime_message_foreach (gm.g_mime_message_foreach)
#define g_mime_message_get_from (gm.g_mime_message_get_from)
#define g_mime_message_get_message_id (gm.g_mime_message_get_message_id)
#define g_mime_message_get_mime_part (gm.g_mime_message_get_mime_part)
#define g_mime_message_get_reply_to (gm.g_mime_message_get_reply_to)
#define g_mime_message_get_subject (gm.g_mime_message_get_subject)
#define g_mime_object_get_content_type (gm.g_mime_object_get_content_type)
#define g_mime_object_get_header (gm.g_mime_object_get_header)
#define g_mime_object_get_header_list (gm.g_mime_object_get_header_list)
#define g_mime_object_get_type (gm.g_mime_object_get_type)
#define g_mime_parser_construct_message (gm.g_mime_parser_construct_message)
#define g_mime_parser_new_with_stream (gm.g_mime_parser_new_with_stream)
#define g_mime_parser_set_format (gm.g_mime_parser_set_format)
#define g_mime_part_get_content (gm.g_mime_part_get_content)
#define g_mime_part_get_type (gm.g_mime_part_get_type)
#define g_mime_stream_mem_get_byte_array (gm.g_mime_stream_mem_get_byte_array)
#define g_mime_stream_mem_get_type (gm.g_mime_stream_mem_get_type)
#define g_mime_stream_mem_new (gm.g_mime_stream_mem_new)
#define g_mime_stream_mem_new_with_buffer (gm.g_mime_stream_mem_new_with_buffer)
#define internet_address_list_get_address (gm.internet_address_list_get_address)
#define internet_address_list_length (gm.internet_address_list_length)
#define internet_address_mailbox_get_addr (gm.internet_address_mailbox_get_addr)
#define internet_address_mailbox_get_type (gm.internet_address_mailbox_get_type)

/* Bytes asked of read(2) at a time. */
#define READ_CHUNK 8192u

enum pks_rc
mail_read(int fd, size_t max, struct buf *out)
{
	uint8_t chunk[READ_CHUNK];
	ssize_t n;

	for (;;) {
		n = read(fd, chunk, sizeof(chunk));
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return PKS_ERR_IO;
		if (n == 0)
			return PKS_OK;
		if (out->len > max || (size_t)n > max - out->len)
			return PKS_ERR_TOOBIG;
		if (buf_add(out, chunk, (size_t)n) != PKS_OK)
			return PKS_ERR_TOOBIG;
	}
}

static char *
lower_dup(const char *s)
{
	char *d = xstrdup(s);
	size_t i;

	for (i = 0; d[i] != '\0'; i++)
		if (d[i] >= 'A' && d[i] <= 'Z')
			d[i] = (char)(d[i] - 'A' + 'a');
	return d;
}

/* What GLib's g_strstrip() takes away (g_ascii_isspace). */
#define SPACES " \t\n\v\f\r"

/* s without its leading and trailing white space, in place. */
static char *
strip(char *s)
{
	size_t len = strlen(s), i = 0;

	while (len > 0 && strchr(SPACES, s[len - 1]) != NULL)
		s[--len] = '\0';
	while (s[i] != '\0' && strchr(SPACES, s[i]) != NULL)
		i++;
	memmove(s, s + i, len - i + 1);
	return s;
}

/* The sender of a leading "From sender date" line, or NULL. */
static char *
env_from_line(const char *data, size_t len)
{
	size_t i = 5, start;

	if (len < 5 || memcmp(data, "From ", 5) != 0)
		return NULL;
	while (i < len && data[i] == ' ')
		i++;
	start = i;
	while (i < len && data[i] != ' ' && data[i] != '\n' &&
	       data[i] != '\r' && i - start <= MAIL_MAX_ADDR)
		i++;
	if (i == start || i - start > MAIL_MAX_ADDR)
		return NULL;
	return xstrndup(data + start, i - start);
}

/* Occurrences of "boundary=" (any case): a bound on multipart depth. */
static size_t
count_boundaries(const char *data, size_t len)
{
	static const char pat[] = "boundary=";
	size_t i, n = 0;

	for (i = 0; i + sizeof(pat) - 1 <= len; i++)
		if (strncasecmp(data + i, pat, sizeof(pat) - 1) == 0)
			n++;
	return n;
}

/* A plain ASCII addr-spec: printable, no spaces or specials, one '@'. */
static int
addr_ok(const char *a)
{
	const char *at = strchr(a, '@');
	size_t i, len = strlen(a);

	if (len == 0 || len > MAIL_MAX_ADDR || at == NULL || at == a ||
	    at[1] == '\0' || strchr(at + 1, '@') != NULL)
		return 0;
	for (i = 0; i < len; i++)
		if ((unsigned char)a[i] <= 0x20 ||
		    (unsigned char)a[i] >= 0x7f ||
		    strchr("<>()[],;:\\\"", a[i]) != NULL)
			return 0;
	return 1;
}

/* First mailbox of an address list: its address and local part. */
static void
first_mailbox(InternetAddressList *l, char **addr, char **local)
{
	InternetAddress *a;
	const char *s, *at;
	int i, n;

	*addr = NULL;
	if (local != NULL)
		*local = NULL;
	n = l != NULL ? internet_address_list_length(l) : 0;
	for (i = 0; i < n; i++) {
		a = internet_address_list_get_address(l, i);
		if (!INTERNET_ADDRESS_IS_MAILBOX(a))
			continue;
		s = internet_address_mailbox_get_addr(
		    INTERNET_ADDRESS_MAILBOX(a));
		if (s == NULL)
			continue;
		/* A local part alone ("MAILER-DAEMON") still names a bouncer.
		 */
		at = strchr(s, '@');
		if (local != NULL && *local == NULL)
			*local = at != NULL ? xstrndup(s, (size_t)(at - s))
					    : xstrdup(s);
		if (addr_ok(s)) {
			*addr = xstrdup(s);
			return;
		}
	}
}

static char *
header_dup(GMimeObject *obj, const char *name)
{
	const char *v = g_mime_object_get_header(obj, name);
	char *d;

	if (v == NULL)
		return NULL;
	d = xstrdup(v);
	return strip(d);
}

/* Every X-KeyServer-Sent value (any case of the name), in order. */
static enum pks_rc
collect_sent(GMimeObject *obj, struct mail_msg *m, struct pks_err *err)
{
	GMimeHeaderList *hl = g_mime_object_get_header_list(obj);
	GMimeHeader *h;
	const char *v;
	int i, n;

	n = hl != NULL ? g_mime_header_list_get_count(hl) : 0;
	for (i = 0; i < n; i++) {
		h = g_mime_header_list_get_header_at(hl, i);
		if (strcasecmp(g_mime_header_get_name(h), "X-KeyServer-Sent") !=
		    0)
			continue;
		if (m->nsent == MAIL_MAX_SENT)
			return pks_fail(err, 0,
			    "too many X-KeyServer-Sent "
			    "headers",
			    PKS_ERR_PARSE);
		v = g_mime_header_get_value(h);
		m->sent =
		    xreallocarray(m->sent, m->nsent + 1, sizeof(*m->sent));
		m->sent[m->nsent++] = strip(xstrdup(v != NULL ? v : ""));
	}
	return PKS_OK;
}

int
mail_key_type(const char *type)
{
	return strncmp(type, "text/", 5) == 0 ||
	       strcmp(type, "application/pgp-keys") == 0 ||
	       strcmp(type, "application/pgp") == 0 ||
	       strcmp(type, "application/octet-stream") == 0;
}

struct walk {
	struct mail_msg *m;
	size_t total; /* decoded bytes kept so far */
};

/* Decode one leaf part into the message, within the caps. */
static void
keep_part(struct walk *w, GMimePart *part, char *type)
{
	GMimeDataWrapper *dw = g_mime_part_get_content(part);
	GMimeStream *mem;
	GByteArray *ba;
	struct mail_part *p;

	if (dw == NULL || w->m->nparts == MAIL_MAX_PARTS) {
		free(type);
		return;
	}
	mem = g_mime_stream_mem_new();
	g_mime_data_wrapper_write_to_stream(dw, mem);
	ba = g_mime_stream_mem_get_byte_array(GMIME_STREAM_MEM(mem));
	if (ba == NULL || ba->len > PKS_MAX_MAIL - w->total) {
		free(type);
		g_object_unref(mem);
		return;
	}
	w->m->parts =
	    xreallocarray(w->m->parts, w->m->nparts + 1, sizeof(*w->m->parts));
	p = &w->m->parts[w->m->nparts++];
	p->type = type;
	p->len = ba->len;
	p->data = xmalloc(ba->len + 1);
	if (ba->len > 0)
		memcpy(p->data, ba->data, ba->len);
	p->data[ba->len] = '\0';
	w->total += ba->len;
	g_object_unref(mem);
}

static void
on_part(GMimeObject *parent, GMimeObject *part, gpointer arg)
{
	struct walk *w = arg;
	GMimeContentType *ct;
	char *type, *t;

	(void)parent;
	if (!GMIME_IS_PART(part))
		return;
	ct = g_mime_object_get_content_type(part);
	t = ct != NULL ? g_mime_content_type_get_mime_type(ct) : NULL;
	type = lower_dup(t != NULL ? t : "text/plain");
	g_free(t);
	if (!mail_key_type(type)) {
		free(type);
		return;
	}
	keep_part(w, GMIME_PART(part), type);
}

/* The headers the filter reads. */
static void
take_headers(GMimeMessage *msg, struct mail_msg *m)
{
	GMimeObject *obj = GMIME_OBJECT(msg);
	GMimeObject *top = g_mime_message_get_mime_part(msg);
	GMimeContentType *ct;
	const char *s;
	char *t;

	m->return_path = header_dup(obj, "Return-Path");
	m->auto_submitted = header_dup(obj, "Auto-Submitted");
	m->precedence = header_dup(obj, "Precedence");
	first_mailbox(g_mime_message_get_from(msg), &m->from, &m->from_local);
	first_mailbox(g_mime_message_get_reply_to(msg), &m->reply_to, NULL);
	s = g_mime_message_get_subject(msg);
	m->subject = strip(xstrdup(s != NULL ? s : ""));
	s = g_mime_message_get_message_id(msg);
	m->message_id = s != NULL ? xstrdup(s) : NULL;
	ct = top != NULL ? g_mime_object_get_content_type(top) : NULL;
	t = ct != NULL ? g_mime_content_type_get_mime_type(ct) : NULL;
	m->content_type = lower_dup(t != NULL ? t : "text/plain");
	g_free(t);
}

/* The size and boundary caps, before any parser sees the message. */
static enum pks_rc
check_caps(const char *data, size_t len, struct pks_err *err)
{
	if (len > PKS_MAX_MAIL)
		return pks_fail(
		    err, PKS_MAX_MAIL, "message too large", PKS_ERR_TOOBIG);
	if (count_boundaries(data, len) > MAIL_MAX_BOUNDARIES)
		return pks_fail(
		    err, 0, "too many multipart boundaries", PKS_ERR_PARSE);
	return PKS_OK;
}

/* Take the message apart with GMime into m. */
static enum pks_rc
gmime_parse(
    const char *data, size_t len, struct mail_msg *m, struct pks_err *err)
{
	GMimeStream *stream;
	GMimeParser *parser;
	GMimeMessage *msg;
	struct walk w = { m, 0 };
	enum pks_rc rc = PKS_OK;

	if (pthread_once(&gm_once, gm_open) != 0 || gm_rc != PKS_OK)
		return pks_fail(err, 0, "cannot load GMime", PKS_ERR_IO);
	stream = g_mime_stream_mem_new_with_buffer(data, len);
	parser = g_mime_parser_new_with_stream(stream);
	g_mime_parser_set_format(parser, GMIME_FORMAT_MESSAGE);
	msg = g_mime_parser_construct_message(parser, NULL);
	if (msg == NULL ||
	    g_mime_header_list_get_count(
		g_mime_object_get_header_list(GMIME_OBJECT(msg))) == 0) {
		rc = pks_fail(err, 0, "no message headers", PKS_ERR_PARSE);
		goto out;
	}
	take_headers(msg, m);
	if ((rc = collect_sent(GMIME_OBJECT(msg), m, err)) != PKS_OK)
		goto out;
	g_mime_message_foreach(msg, on_part, &w);
out:
	if (msg != NULL)
		g_object_unref(msg);
	g_object_unref(parser);
	g_object_unref(stream);
	return rc;
}

/* mail_plain_parse() in the form parse_with() takes: it sets no error
 * position, and answers PKS_ERR_UNSUPPORTED for what it leaves to GMime. */
static enum pks_rc
plain_parse(
    const char *data, size_t len, struct mail_msg *m, struct pks_err *err)
{
	(void)err;
	return mail_plain_parse(data, len, m);
}

/* The caps, then parse into a new zeroed mail_msg: *out on success,
 * nothing kept on failure. */
static enum pks_rc
parse_with(enum pks_rc (*parse)(
	       const char *, size_t, struct mail_msg *, struct pks_err *),
    const char *data, size_t len, struct mail_msg **out, struct pks_err *err)
{
	struct mail_msg *m;
	enum pks_rc rc;

	*out = NULL;
	/* Nothing on stdin reads as no buffer at all, which GMime would
	 * refuse with a critical warning of its own. */
	if (len == 0)
		return pks_fail(err, 0, "empty message", PKS_ERR_PARSE);
	if ((rc = check_caps(data, len, err)) != PKS_OK)
		return rc;
	m = xcalloc(1, sizeof(*m));
	if ((rc = parse(data, len, m, err)) != PKS_OK) {
		mail_msg_free(m);
		return rc;
	}
	m->env_from = env_from_line(data, len);
	*out = m;
	return PKS_OK;
}

enum pks_rc
mail_parse_mime(
    const char *data, size_t len, struct mail_msg **out, struct pks_err *err)
{
	return parse_with(gmime_parse, data, len, out, err);
}

enum pks_rc
mail_parse(
    const char *data, size_t len, struct mail_msg **out, struct pks_err *err)
{
	enum pks_rc rc = parse_with(plain_parse, data, len, out, err);

	if (rc != PKS_ERR_UNSUPPORTED)
		return rc;
	return mail_parse_mime(data, len, out, err);
}

void
mail_msg_free(struct mail_msg *m)
{
	size_t i;

	if (m == NULL)
		return;
	free(m->env_from);
	free(m->return_path);
	free(m->from);
	free(m->from_local);
	free(m->reply_to);
	free(m->subject);
	free(m->message_id);
	free(m->auto_submitted);
	free(m->precedence);
	free(m->content_type);
	for (i = 0; i < m->nsent; i++)
		free(m->sent[i]);
	free(m->sent);
	for (i = 0; i < m->nparts; i++) {
		free(m->parts[i].type);
		free(m->parts[i].data);
	}
	free(m->parts);
	free(m);
}
