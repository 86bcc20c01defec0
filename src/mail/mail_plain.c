/*
 * mail_plain.c: the messages simple enough to take apart without GMime
 * (mail_plain.h): one part, no encoding, nothing folded or encoded in
 * the headers the filter reads.  A PKS incremental and most user
 * commands are such messages; the MTA starts one filter process per
 * message, and loading GMime (and the fourteen libraries it needs)
 * was the largest part of each process's cost.
 *
 * The rule is "take it only if GMime would read it the same way":
 * anything this parser is not sure of is handed back, never guessed.
 * tests/fuzz/fuzz_mail_plain.c checks every message this parser takes
 * against GMime's reading of it.
 */
#include <config.h>

#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "mail/mail_plain.h"
#include "util/xalloc.h"

/* One header line (unfolded only when it is not folded at all). */
struct hdr {
	const char *name;
	size_t namelen;
	const char *val; /* trimmed of spaces and tabs */
	size_t vallen;
	int folded;
};

/* The headers the filter reads, each at most once. */
enum which {
	H_FROM,
	H_REPLY_TO,
	H_SUBJECT,
	H_MESSAGE_ID,
	H_RETURN_PATH,
	H_AUTO_SUBMITTED,
	H_PRECEDENCE,
	H_CONTENT_TYPE,
	H_CTE,
	H_COUNT
};

static const char *const hnames[H_COUNT] = { "From", "Reply-To", "Subject",
	"Message-ID", "Return-Path", "Auto-Submitted", "Precedence",
	"Content-Type", "Content-Transfer-Encoding" };

struct plain {
	struct hdr h[H_COUNT];
	int seen[H_COUNT];
	const char *sent[MAIL_MAX_SENT];
	size_t sentlen[MAIL_MAX_SENT];
	size_t nsent;
	size_t nmsg; /* headers of the message, not of its part */
	const char *body;
	size_t bodylen;
};

/* RFC 5322 atext, the characters of a dot-atom's atoms. */
static int
atext(int c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	       (c >= '0' && c <= '9') || strchr("!#$%&'*+-/=?^_`{|}~", c);
}

/* RFC 2045 token characters (type, subtype). */
static int
token(int c)
{
	return c > 0x20 && c < 0x7f && strchr("()<>@,;:\\\"/[]?=", c) == NULL;
}

/* A dot-atom: atoms of atext joined by single dots. */
static int
dot_atom(const char *s, size_t len)
{
	size_t i;

	if (len == 0 || s[0] == '.' || s[len - 1] == '.')
		return 0;
	for (i = 0; i < len; i++)
		if (!(atext((unsigned char)s[i]) ||
			(s[i] == '.' && s[i + 1] != '.')))
			return 0;
	return 1;
}

/* A domain label in punycode ("xn--"), which GMime decodes (IDN). */
static int
has_idn(const char *d, size_t len)
{
	size_t i;

	for (i = 0; i + 4 <= len; i++)
		if ((i == 0 || d[i - 1] == '.') &&
		    strncasecmp(d + i, "xn--", 4) == 0)
			return 1;
	return 0;
}

/* local@domain, both dot-atoms, within MAIL_MAX_ADDR. */
static int
addr_spec(const char *s, size_t len)
{
	const char *at = memchr(s, '@', len);

	return len <= MAIL_MAX_ADDR && at != NULL &&
	       dot_atom(s, (size_t)(at - s)) &&
	       dot_atom(at + 1, len - (size_t)(at - s) - 1) &&
	       !has_idn(at + 1, len - (size_t)(at - s) - 1);
}

/* A display name of atoms separated by single spaces, or one quoted
 * string holding no quote or backslash. */
static int
display_name(const char *s, size_t len)
{
	size_t i;

	if (len >= 2 && s[0] == '"' && s[len - 1] == '"') {
		for (i = 1; i + 1 < len; i++)
			if (s[i] == '"' || s[i] == '\\')
				return 0;
		return 1;
	}
	if (len == 0 || s[0] == ' ' || s[len - 1] == ' ')
		return 0;
	for (i = 0; i < len; i++)
		if (!(atext((unsigned char)s[i]) ||
			(s[i] == ' ' && s[i + 1] != ' ')))
			return 0;
	return 1;
}

/*
 * One mailbox: "a@b", "<a@b>" or "Name <a@b>".  *addr gets the address
 * (malloc'ed), *local its local part when local is not NULL.  0 when the
 * value is anything else.
 */
static int
mailbox(const struct hdr *h, char **addr, char **local)
{
	const char *v = h->val, *lt, *a = v;
	size_t n = h->vallen;

	if (n > 0 && v[n - 1] == '>' && (lt = memchr(v, '<', n)) != NULL) {
		if (lt > v &&
		    (lt[-1] != ' ' || !display_name(v, (size_t)(lt - v) - 1)))
			return 0;
		a = lt + 1;
		n = (size_t)(v + h->vallen - 1 - a);
	}
	if (!addr_spec(a, n))
		return 0;
	*addr = xstrndup(a, n);
	if (local != NULL)
		*local =
		    xstrndup(a, (size_t)((const char *)memchr(a, '@', n) - a));
	return 1;
}

/* "<id-left@id-right>" of dot-atoms: the id without its brackets. */
static int
message_id(const struct hdr *h, char **out)
{
	if (h->vallen < 3 || h->val[0] != '<' || h->val[h->vallen - 1] != '>' ||
	    !addr_spec(h->val + 1, h->vallen - 2))
		return 0;
	*out = xstrndup(h->val + 1, h->vallen - 2);
	return 1;
}

/* Length of the token at v (at most n bytes). */
static size_t
token_len(const char *v, size_t n)
{
	size_t i = 0;

	while (i < n && token((unsigned char)v[i]))
		i++;
	return i;
}

/* Not a multipart or message type (the type's first len bytes). */
static int
leaf_type(const char *type, size_t len)
{
	return !(len == 9 && strncasecmp(type, "multipart", 9) == 0) &&
	       !(len == 7 && strncasecmp(type, "message", 7) == 0);
}

/* type/subtype, then nothing or parameters without quotes or comments;
 * multipart and message types are GMime's.  *out: lower-case copy. */
static int
content_type(const struct hdr *h, char **out)
{
	const char *v = h->val;
	size_t i, slash, n = h->vallen;

	slash = token_len(v, n);
	if (slash == 0 || slash == n || v[slash] != '/')
		return 0;
	i = slash + 1 + token_len(v + slash + 1, n - slash - 1);
	if (i == slash + 1 || (i < n && v[i] != ';') ||
	    memchr(v, '"', n) != NULL || memchr(v, '(', n) != NULL)
		return 0;
	if (!leaf_type(v, slash))
		return 0;
	*out = xstrndup(v, i);
	for (n = 0; (*out)[n] != '\0'; n++)
		if ((*out)[n] >= 'A' && (*out)[n] <= 'Z')
			(*out)[n] = (char)((*out)[n] - 'A' + 'a');
	return 1;
}

static int
header_is(const struct hdr *h, const char *name)
{
	return h->namelen == strlen(name) &&
	       strncasecmp(h->name, name, h->namelen) == 0;
}

/* Remember a header the filter reads; 0 on a second one. */
static int
note(struct plain *p, const struct hdr *h)
{
	size_t i;

	if (header_is(h, "X-KeyServer-Sent")) {
		if (h->folded || p->nsent == MAIL_MAX_SENT)
			return 0;
		p->sent[p->nsent] = h->val;
		p->sentlen[p->nsent++] = h->vallen;
		return 1;
	}
	for (i = 0; i < H_COUNT; i++)
		if (header_is(h, hnames[i])) {
			if (p->seen[i] || h->folded)
				return 0;
			p->seen[i] = 1;
			p->h[i] = *h;
		}
	return 1;
}

/* Header bytes GMime would pass through unchanged. */
static int
plain_byte(unsigned char c)
{
	return (c >= 0x20 && c < 0x7f) || c == '\t';
}

/*
 * The lines of one header from p, the first after its colon: *eol gets
 * the end of its last line, *next the start of the next header.  0
 * when a byte is not plain or a line does not end.
 */
static int
header_lines(const char *p, const char *end, struct hdr *h, const char **eol,
    const char **next)
{
	for (;;) {
		*eol = memchr(p, '\n', (size_t)(end - p));
		if (*eol == NULL)
			return 0;
		for (; p < *eol; p++)
			if (!plain_byte((unsigned char)*p))
				return 0;
		p = *eol + 1;
		if (p == end || (*p != ' ' && *p != '\t'))
			break;
		h->folded = 1;
	}
	*next = p;
	return 1;
}

/*
 * One header starting at s (end: the end of the header block); *next
 * is where the next one starts.  0 when the line is not "Name: value"
 * of plain bytes.
 */
static int
one_header(const char *s, const char *end, struct hdr *h, const char **next)
{
	const char *p = s, *eol, *v;

	while (p < end && *p != ':' && token((unsigned char)*p))
		p++;
	if (p == s || p == end || *p != ':')
		return 0;
	h->name = s;
	h->namelen = (size_t)(p - s);
	h->folded = 0;
	v = p + 1;
	if (!header_lines(v, end, h, &eol, next))
		return 0;
	while (v < eol && (*v == ' ' || *v == '\t'))
		v++;
	while (eol > v && (eol[-1] == ' ' || eol[-1] == '\t'))
		eol--;
	h->val = v;
	h->vallen = (size_t)(eol - v);
	/* Encoded words are GMime's to decode. */
	return h->vallen < 2 || memmem(v, h->vallen, "=?", 2) == NULL;
}

/*
 * Where the headers start: after a leading mbox "From " line, which
 * GMime skips unless it reads as a "From :" header.  NULL: not plain.
 */
static const char *
headers_start(const char *data, size_t len)
{
	size_t i = 4;

	if (len < 5 || memcmp(data, "From ", 5) != 0)
		return data;
	while (i < len && (data[i] == ' ' || data[i] == '\t'))
		i++;
	if (i == len || data[i] == ':')
		return NULL;
	data = memchr(data, '\n', len);
	return data != NULL ? data + 1 : NULL;
}

/* Read the headers from s to hend (just past the last one's newline). */
static int
read_headers(const char *s, const char *hend, struct plain *p)
{
	const char *next;
	struct hdr h;

	while (s < hend) {
		if (!one_header(s, hend, &h, &next) || !note(p, &h))
			return 0;
		/* GMime gives Content-* headers to the part. */
		if (h.namelen < 8 || strncasecmp(h.name, "Content-", 8) != 0)
			p->nmsg++;
		s = next;
	}
	return p->nmsg > 0;
}

/* Split the message into its headers and body; 0 if not plain. */
static int
split(const char *data, size_t len, struct plain *p)
{
	const char *s, *end = data + len, *hend;

	if (memchr(data, '\r', len) != NULL || memchr(data, '\0', len) != NULL)
		return 0;
	if ((s = headers_start(data, len)) == NULL)
		return 0;
	/* The headers end at a blank line, or with the message. */
	hend = memmem(s, (size_t)(end - s), "\n\n", 2);
	if (hend == NULL && s < end && end[-1] == '\n')
		hend = end - 1;
	if (hend == NULL || s == hend)
		return 0;
	hend++;
	p->body = hend < end ? hend + 1 : end;
	p->bodylen = (size_t)(end - p->body);
	return read_headers(s, hend, p);
}

/* No transfer encoding, or one that leaves the bytes as they are. */
static int
identity_encoding(const struct plain *p)
{
	const struct hdr *h = &p->h[H_CTE];

	if (!p->seen[H_CTE])
		return 1;
	return (h->vallen == 4 && strncasecmp(h->val, "7bit", 4) == 0) ||
	       (h->vallen == 4 && strncasecmp(h->val, "8bit", 4) == 0) ||
	       (h->vallen == 6 && strncasecmp(h->val, "binary", 6) == 0);
}

static char *
hdup(const struct plain *p, enum which w)
{
	return p->seen[w] ? xstrndup(p->h[w].val, p->h[w].vallen) : NULL;
}

/* The addresses, subject, id and type; 0 if one is not plain. */
static int
take(const struct plain *p, struct mail_msg *m)
{
	if ((p->seen[H_FROM] &&
		!mailbox(&p->h[H_FROM], &m->from, &m->from_local)) ||
	    (p->seen[H_REPLY_TO] &&
		!mailbox(&p->h[H_REPLY_TO], &m->reply_to, NULL)) ||
	    (p->seen[H_MESSAGE_ID] &&
		!message_id(&p->h[H_MESSAGE_ID], &m->message_id)))
		return 0;
	if (p->seen[H_CONTENT_TYPE]) {
		if (!content_type(&p->h[H_CONTENT_TYPE], &m->content_type))
			return 0;
	} else
		m->content_type = xstrdup("text/plain");
	m->subject = p->seen[H_SUBJECT] ? hdup(p, H_SUBJECT) : xstrdup("");
	m->return_path = hdup(p, H_RETURN_PATH);
	m->auto_submitted = hdup(p, H_AUTO_SUBMITTED);
	m->precedence = hdup(p, H_PRECEDENCE);
	return 1;
}

static void
take_body(const struct plain *p, struct mail_msg *m)
{
	size_t i;

	m->sent = xreallocarray(NULL, p->nsent + 1, sizeof(*m->sent));
	for (i = 0; i < p->nsent; i++)
		m->sent[i] = xstrndup(p->sent[i], p->sentlen[i]);
	m->nsent = p->nsent;
	if (!mail_key_type(m->content_type))
		return;
	m->parts = xcalloc(1, sizeof(*m->parts));
	m->parts[0].type = xstrdup(m->content_type);
	m->parts[0].len = p->bodylen;
	m->parts[0].data = xmalloc(p->bodylen + 1);
	memcpy(m->parts[0].data, p->body, p->bodylen);
	m->parts[0].data[p->bodylen] = '\0';
	m->nparts = 1;
}

enum pks_rc
mail_plain_parse(const char *data, size_t len, struct mail_msg *m)
{
	struct plain *p = xcalloc(1, sizeof(*p));
	enum pks_rc rc = PKS_ERR_UNSUPPORTED;

	if (split(data, len, p) && identity_encoding(p) && take(p, m)) {
		take_body(p, m);
		rc = PKS_OK;
	}
	free(p);
	return rc;
}
