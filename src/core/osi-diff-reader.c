/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "osi-core"

#include "config.h"

#include <stdlib.h>
#include <string.h>

#include <glib/gi18n-lib.h>

#include "osi-diff-private.h"
#include "osi-diff-side-private.h"
#include "osi-error.h"
#include "osi-json-scan-private.h"

/* Two knowledge bases of tens of thousands of entries are compared
 * without holding either as a tree: each side's rag/search.json is
 * streamed once through the core's JSON tokenizer (which checks all of
 * the syntax), and every value is reduced to a 128-bit digest (objects
 * hashed over their members sorted, so that key order and whitespace do
 * not count), keeping per entry only its name, the digest of the whole
 * entry and one digest per top-level field.
 *
 * The digest (MurmurHash3's 128-bit construction, keyed at random per
 * comparison) is fast, not cryptographic: a knowledge base built to
 * collide could make a changed entry look unchanged. The comparison is a
 * preview; integrity is what verification proves, with SHA-256. */

#define MAX_DEPTH       512
#define MAX_NAME_BYTES  (64 * 1024)
#define MAX_FIELD_BYTES 1024

/* ------------------------------------------------------------------------ */
/* Digests                                                                  */

#define K1 G_GUINT64_CONSTANT (0x87c37b91114253d5)
#define K2 G_GUINT64_CONSTANT (0x4cf5ad432745937f)

static inline guint64
rotl (guint64 x,
      int     r)
{
  return (x << r) | (x >> (64 - r));
}

static inline guint64
fmix (guint64 k)
{
  k ^= k >> 33;
  k *= G_GUINT64_CONSTANT (0xff51afd7ed558ccd);
  k ^= k >> 33;
  k *= G_GUINT64_CONSTANT (0xc4ceb9fe1a85ec53);
  k ^= k >> 33;
  return k;
}

static inline void
hasher_block (Hasher       *h,
              const guint8 *p)
{
  guint64 w0;
  guint64 w1;

  memcpy (&w0, p, 8);
  memcpy (&w1, p + 8, 8);
  w0 = GUINT64_FROM_LE (w0);
  w1 = GUINT64_FROM_LE (w1);

  h->a ^= rotl (w0 * K1, 31) * K2;
  h->a = (rotl (h->a, 27) + h->b) * 5 + 0x52dce729;
  h->b ^= rotl (w1 * K2, 33) * K1;
  h->b = (rotl (h->b, 31) + h->a) * 5 + 0x38495ab5;
}

static inline void
hasher_init (Hasher       *h,
             const Digest *key,
             guint8        tag)
{
  h->a = key->lo;
  h->b = key->hi;
  h->len = 0;
  h->buf[0] = tag;
  h->nbuf = 1;
}

/* Not inlined: GCC 12 then sees memcpy () bounds it cannot prove. */
static G_GNUC_NO_INLINE void
hasher_update (Hasher       *h,
               const guint8 *data,
               gsize         len)
{
  if (len == 0)
    return;
  h->len += len;
  if (h->nbuf + len < sizeof h->buf)
    {
      memcpy (h->buf + h->nbuf, data, len);
      h->nbuf += (guint)len;
      return;
    }
  if (h->nbuf > 0)
    {
      gsize n = sizeof h->buf - h->nbuf;

      memcpy (h->buf + h->nbuf, data, n);
      hasher_block (h, h->buf);
      data += n;
      len -= n;
      h->nbuf = 0;
    }
  while (len >= 16)
    {
      hasher_block (h, data);
      data += 16;
      len -= 16;
    }
  memcpy (h->buf, data, len);
  h->nbuf = (guint)len;
}

static inline void
hasher_digest (Hasher       *h,
               const Digest *d)
{
  hasher_update (h, (const guint8 *)d, sizeof *d);
}

static Digest
hasher_finish (Hasher *h)
{
  Digest d;
  guint64 a;
  guint64 b;

  memset (h->buf + h->nbuf, 0, sizeof h->buf - h->nbuf);
  h->buf[15] ^= (guint8)(h->nbuf + 1);
  hasher_block (h, h->buf);
  a = h->a ^ h->len;
  b = h->b ^ (h->len * K1);
  a += b;
  b += a;
  a = fmix (a);
  b = fmix (b);
  a += b;
  b += a;
  d.lo = a;
  d.hi = b;
  return d;
}

static inline Digest
short_digest (const guint8 *bytes,
              gsize         len,
              guint8        tag)
{
  guint8 raw[16] = { 0 };
  Digest d;

  g_assert (len <= SHORT_MAX);
  if (len > 0)
    memcpy (raw, bytes, len);
  raw[14] = tag;
  raw[15] = (guint8)len;
  memcpy (&d, raw, sizeof d);
  return d;
}

static int
digest_compare (const Digest *x,
                const Digest *y)
{
  if (x->hi != y->hi)
    return x->hi < y->hi ? -1 : 1;
  if (x->lo != y->lo)
    return x->lo < y->lo ? -1 : 1;
  return 0;
}

/* ------------------------------------------------------------------------ */
/* The streaming reader (Side, in osi-diff-side-private.h)                  */

static void
frame_clear (gpointer data)
{
  Frame *frame = data;

  g_clear_pointer (&frame->members, g_free);
}

void
_osi_diff_side_init (Side         *side,
                     const char   *label,
                     const Digest *key,
                     GCancellable *cancellable)
{
  memset (side, 0, sizeof *side);
  side->label = label;
  side->key = *key;
  side->cancellable = cancellable;
  side->entries = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
  side->names = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  side->files = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
  osi_json_tokenizer_init (&side->tk, MAX_DEPTH, OSI_JSON_TOKENIZER_DEFAULT);
  side->frames = g_array_new (FALSE, TRUE, sizeof (Frame));
  g_array_set_clear_func (side->frames, frame_clear);
  side->capture = g_string_new (NULL);
  side->entry_fields = g_array_new (FALSE, FALSE, sizeof (Field));
}

void
_osi_diff_side_clear (Side *side)
{
  g_clear_pointer (&side->entries, g_hash_table_unref);
  g_clear_pointer (&side->names, g_hash_table_unref);
  g_clear_pointer (&side->files, g_hash_table_unref);
  g_clear_pointer (&side->frames, g_array_unref);
  if (side->capture != NULL)
    g_string_free (g_steal_pointer (&side->capture), TRUE);
  g_clear_pointer (&side->entry_fields, g_array_unref);
  g_clear_pointer (&side->entry_name, g_free);
  g_clear_object (&side->report);
  g_clear_error (&side->error);
}

/* The knowledge base cannot be read: says why and where, once. */
static void
side_fail_at (Side       *side,
              guint64     offset,
              const char *why)
{
  g_autofree char *at = NULL;

  if (side->error != NULL)
    return;
  at = g_strdup_printf ("%" G_GUINT64_FORMAT, offset);
  /* Translators: the first %s is a backup or folder, the second the
   * problem, the third a byte offset in the knowledge base */
  side->error = g_error_new (OSI_ERROR, OSI_ERROR_INVALID_DATA,
                             _("The knowledge base of “%s” cannot be compared: %s (byte %s)."),
                             side->label, why, at);
}

/* A problem found in well-formed JSON, at the bytes just read. */
static void
side_fail (Side       *side,
           const char *why)
{
  side_fail_at (side, osi_json_tokenizer_get_offset (&side->tk), why);
}

/* The tokenizer found the text is not JSON. */
static void
side_fail_syntax (Side *side)
{
  g_autofree char *why = osi_json_tokenizer_describe_error (&side->tk);
  guint64 offset = 0;

  osi_json_tokenizer_get_error (&side->tk, &offset);
  side_fail_at (side, offset, why);
}

static const char *
side_intern (Side       *side,
             const char *name)
{
  const char *known = g_hash_table_lookup (side->names, name);

  if (known == NULL)
    {
      char *copy = g_strdup (name);

      g_hash_table_add (side->names, copy);
      known = copy;
    }
  return known;
}

static int
field_compare (gconstpointer a,
               gconstpointer b)
{
  return strcmp (((const Field *)a)->name, ((const Field *)b)->name);
}

static int
member_compare (gconstpointer a,
                gconstpointer b)
{
  const Member *x = a;
  const Member *y = b;
  int c = digest_compare (&x->key, &y->key);

  return c != 0 ? c : digest_compare (&x->value, &y->value);
}

/* Objects have a handful of members: an insertion sort beats a general
 * one there, by far. */
static void
sort_members (Member *members,
              guint   n)
{
  if (n > 32)
    {
      qsort (members, n, sizeof *members, member_compare);
      return;
    }
  for (guint i = 1; i < n; i++)
    {
      Member m = members[i];
      guint j = i;

      while (j > 0 && member_compare (&members[j - 1], &m) > 0)
        {
          members[j] = members[j - 1];
          j--;
        }
      members[j] = m;
    }
}

/* A whole entry was read: keep its digests. The last of two entries of the
 * same name wins, as it does for json-glib and Python. */
static void
side_entry_done (Side         *side,
                 const Digest *whole)
{
  guint n = side->entry_fields->len;
  Entry *entry = g_malloc (sizeof (Entry) + n * sizeof (Field));

  entry->whole = *whole;
  entry->n_fields = n;
  if (n > 0)
    {
      g_array_sort (side->entry_fields, field_compare);
      memcpy (entry->fields, side->entry_fields->data, n * sizeof (Field));
    }
  g_hash_table_replace (side->entries, g_steal_pointer (&side->entry_name), entry);
  g_array_set_size (side->entry_fields, 0);
}

static void
side_value_done (Side         *side,
                 const Digest *value)
{
  Frame *top;

  if (side->depth == 0)
    return;

  top = &g_array_index (side->frames, Frame, side->depth - 1);
  if (side->depth == 1)
    side_entry_done (side, value);
  else if (top->is_object)
    {
      if (side->depth == 2 && side->entry_is_object)
        {
          Field field = { side->field_name, *value };

          g_array_append_val (side->entry_fields, field);
        }
      if (top->n_members == top->members_cap)
        {
          top->members_cap = MAX (8, top->members_cap * 2);
          top->members = g_renew (Member, top->members, top->members_cap);
        }
      top->members[top->n_members].key = top->key;
      top->members[top->n_members].value = *value;
      top->n_members++;
    }
  else
    hasher_digest (&top->h, value);
}

/* The tokenizer checks the nesting (MAX_DEPTH) and that brackets match. */
static void
side_open (Side     *side,
           gboolean  is_object)
{
  Frame *frame;

  if (side->depth == 1)
    side->entry_is_object = is_object;

  if (side->frames->len <= side->depth)
    g_array_set_size (side->frames, side->depth + 1);
  frame = &g_array_index (side->frames, Frame, side->depth);
  frame->is_object = is_object;
  if (is_object)
    frame->n_members = 0;
  else
    hasher_init (&frame->h, &side->key, 'a');
  side->depth++;
}

static void
side_close (Side *side)
{
  Frame *frame = &g_array_index (side->frames, Frame, side->depth - 1);
  Digest digest = { 0, 0 };

  if (frame->is_object && side->depth > 1)
    {
      Hasher h;

      sort_members (frame->members, frame->n_members);
      hasher_init (&h, &side->key, 'o');
      hasher_update (&h, (const guint8 *)frame->members, frame->n_members * sizeof (Member));
      digest = hasher_finish (&h);
    }
  else if (!frame->is_object)
    digest = hasher_finish (&frame->h);

  side->depth--;
  side_value_done (side, &digest);
}

static void
side_constant (Side   *side,
               guint8  tag)
{
  Digest digest = short_digest (NULL, 0, tag);

  side_value_done (side, &digest);
}

/* A number's text, checked against the grammar by the tokenizer: digested
 * in a canonical form, so that 1, 1.0 and 1e0 are the same. */
static void
side_number (Side              *side,
             const OsiJsonSpan *span)
{
  char n[OSI_JSON_NUMBER_MAX + 1];
  char canonical[G_ASCII_DTOSTR_BUF_SIZE + 32];
  Hasher h;
  Digest digest;
  char *end = NULL;
  double value;

  if (span->data == NULL)
    {
      side_fail (side, _("a number is too long"));
      return;
    }
  /* Plain integers (every number of a knowledge base) are already in
   * canonical form, but for "-0" (JSON has no leading zeros). */
  if (span->len <= SHORT_MAX && !(span->len == 2 && span->data[0] == '-' && span->data[1] == '0'))
    {
      gsize i = span->data[0] == '-' ? 1 : 0;

      while (i < span->len && g_ascii_isdigit (span->data[i]))
        i++;
      if (i == span->len)
        {
          digest = short_digest (span->data, span->len, 'n');
          side_value_done (side, &digest);
          return;
        }
    }
  memcpy (n, span->data, span->len);
  n[span->len] = '\0';
  if (strpbrk (n, ".eE") == NULL)
    {
      gint64 integer;

      errno = 0;
      integer = g_ascii_strtoll (n, &end, 10);
      if (errno == 0 && end != n && *end == '\0')
        {
          g_snprintf (canonical, sizeof canonical, "%" G_GINT64_FORMAT, integer);
          goto hash;
        }
    }
  value = g_ascii_strtod (n, &end);
  if (end == n || *end != '\0')
    {
      side_fail (side, _("a number is not valid"));
      return;
    }
  /* The range first: converting a double outside gint64's is undefined. */
  if (value > -9.2e18 && value < 9.2e18 && value == (double)(gint64)value)
    g_snprintf (canonical, sizeof canonical, "%" G_GINT64_FORMAT, (gint64)value);
  else
    g_ascii_formatd (canonical, sizeof canonical, "%.17g", value);

hash:
  if (strlen (canonical) <= SHORT_MAX)
    digest = short_digest ((const guint8 *)canonical, strlen (canonical), 'n');
  else
    {
      hasher_init (&h, &side->key, 'n');
      hasher_update (&h, (const guint8 *)canonical, strlen (canonical));
      digest = hasher_finish (&h);
    }
  side_value_done (side, &digest);
}

/* Decoded bytes of the string being read. */
static void
side_string_bytes (Side         *side,
                   const guint8 *data,
                   gsize         len)
{
  if (!side->hashing)
    {
      if (side->short_len + len <= SHORT_MAX)
        {
          if (len > 0)
            memcpy (side->short_buf + side->short_len, data, len);
          side->short_len += (guint)len;
        }
      else
        {
          side->hashing = TRUE;
          hasher_init (&side->sh, &side->key, 's');
          hasher_update (&side->sh, side->short_buf, side->short_len);
          hasher_update (&side->sh, data, len);
        }
    }
  else
    hasher_update (&side->sh, data, len);
  if (side->capturing)
    {
      if (side->capture->len + len > side->capture_cap)
        {
          side_fail (side, _("a name is too long"));
          return;
        }
      /* \u0000: the tokenizer decodes it, a C string cannot hold it. */
      if (len > 0 && memchr (data, '\0', len) != NULL)
        {
          side_fail (side, _("a name holds a NUL character"));
          return;
        }
      g_string_append_len (side->capture, (const char *)data, (gssize)len);
    }
}

/* The entries' names, and the names of their fields, are kept as text. */
static inline gboolean
side_captures (Side     *side,
               gboolean  in_key)
{
  return in_key && (side->depth == 1 || (side->depth == 2 && side->entry_is_object));
}

static void
side_string_start (Side     *side,
                   gboolean  in_key)
{
  side->in_string = TRUE;
  side->short_len = 0;
  side->hashing = FALSE;
  side->capturing = side_captures (side, in_key);
  if (side->capturing)
    {
      g_string_truncate (side->capture, 0);
      side->capture_cap = side->depth == 1 ? MAX_NAME_BYTES : MAX_FIELD_BYTES;
    }
}

/* A whole string read: a value, or a member name (the tokenizer has
 * checked that a captured name is UTF-8). */
static void
side_string_done (Side         *side,
                  gboolean      in_key,
                  const Digest *digest)
{
  if (!in_key)
    {
      side_value_done (side, digest);
      return;
    }

  g_array_index (side->frames, Frame, side->depth - 1).key = *digest;
  if (side->capturing)
    {
      if (side->depth == 1)
        {
          g_free (side->entry_name);
          side->entry_name = g_strdup (side->capture->str);
          g_array_set_size (side->entry_fields, 0);
          side->entry_is_object = FALSE;
        }
      else
        side->field_name = side_intern (side, side->capture->str);
    }
}

/* A string whose whole body is data[0..len): the digest the streaming
 * path would give, without copying. */
static void
side_string_whole (Side         *side,
                   gboolean      in_key,
                   const guint8 *data,
                   gsize         len)
{
  Digest digest;

  if (len <= SHORT_MAX)
    digest = short_digest (data, len, 's');
  else
    {
      Hasher h;

      hasher_init (&h, &side->key, 's');
      hasher_update (&h, data, len);
      digest = hasher_finish (&h);
    }
  side_string_done (side, in_key, &digest);
}

/* A part of a string value or of a member name. */
static void
side_string_part (Side              *side,
                  gboolean           in_key,
                  const OsiJsonSpan *span)
{
  Digest digest;

  if (!side->in_string)
    {
      /* Most strings: in one part, not kept as a name. */
      if (span->last && !side_captures (side, in_key))
        {
          side->capturing = FALSE;
          side_string_whole (side, in_key, span->data, span->len);
          return;
        }
      side_string_start (side, in_key);
    }
  side_string_bytes (side, span->data, span->len);
  if (!span->last || side->error != NULL)
    return;
  side->in_string = FALSE;
  digest = side->hashing ? hasher_finish (&side->sh) : short_digest (side->short_buf, side->short_len, 's');
  side_string_done (side, in_key, &digest);
}

/* Digests tokens up to the end of the chunk [*p, end), a syntax error, or
 * the end of the knowledge base; returns the token it stopped at. */
static OsiJsonToken
side_pull (Side          *side,
           const guint8 **p,
           const guint8  *end)
{
  OsiJsonSpan span;
  OsiJsonToken token = OSI_JSON_TOKEN_NEED_MORE;

  while (side->error == NULL && (token = osi_json_tokenizer_next (&side->tk, p, end, &span)) > OSI_JSON_TOKEN_END)
    {
      if (G_UNLIKELY (side->depth == 0) && token != OSI_JSON_TOKEN_BEGIN_OBJECT)
        {
          side_fail_at (side, side->root_start, _("it is not a JSON object of entries"));
          break;
        }
      switch (token)
        {
        case OSI_JSON_TOKEN_BEGIN_OBJECT:
          side_open (side, TRUE);
          break;
        case OSI_JSON_TOKEN_BEGIN_ARRAY:
          side_open (side, FALSE);
          break;
        case OSI_JSON_TOKEN_END_OBJECT:
        case OSI_JSON_TOKEN_END_ARRAY:
          side_close (side);
          break;
        case OSI_JSON_TOKEN_KEY_PART:
          side_string_part (side, TRUE, &span);
          break;
        case OSI_JSON_TOKEN_STRING_PART:
          side_string_part (side, FALSE, &span);
          break;
        case OSI_JSON_TOKEN_NUMBER:
          side_number (side, &span);
          break;
        case OSI_JSON_TOKEN_TRUE:
          side_constant (side, 't');
          break;
        case OSI_JSON_TOKEN_FALSE:
          side_constant (side, 'f');
          break;
        case OSI_JSON_TOKEN_NULL:
          side_constant (side, 'n');
          break;
        default:
          g_assert_not_reached ();
        }
    }
  if (side->error != NULL)
    return OSI_JSON_TOKEN_ERROR;
  if (token == OSI_JSON_TOKEN_ERROR)
    side_fail_syntax (side);
  return token;
}

/* Feeds the next bytes of rag/search.json. */
void
_osi_diff_side_feed (Side         *side,
                     const guint8 *data,
                     gsize         len)
{
  const guint8 *p = data;
  const guint8 *end = len > 0 ? data + len : data;

  if (side->error != NULL)
    return;
  /* Where the root begins, for the error when it is not an object. */
  if (!side->root_found)
    {
      const guint8 *first = skip_ws (p, end);

      if (first < end)
        {
          side->root_start = osi_json_tokenizer_get_offset (&side->tk) + (guint64)(first - p);
          side->root_found = TRUE;
        }
    }
  side_pull (side, &p, end);
}

void
_osi_diff_side_finish_rag (Side *side)
{
  static const guint8 nothing = 0;
  const guint8 *p = &nothing;
  OsiJsonToken token;

  if (side->error != NULL)
    return;
  osi_json_tokenizer_finish (&side->tk);
  token = side_pull (side, &p, p);
  /* Once finished, the tokenizer no longer needs more. */
  g_assert (token == OSI_JSON_TOKEN_END || side->error != NULL);
}

char *
osi_diff_fingerprint_knowledge_base (const guint8  *data,
                                     gsize          len,
                                     gsize          split,
                                     guint         *out_entries,
                                     GError       **error)
{
  static const Digest key = { 0x6f7369, 0x64696666 };
  Side side;
  GHashTableIter iter;
  gpointer name;
  gpointer value;
  guint64 sum_lo = 0;
  guint64 sum_hi = 0;
  char *fingerprint = NULL;

  g_return_val_if_fail (data != NULL || len == 0, NULL);
  g_return_val_if_fail (split <= len, NULL);

  _osi_diff_side_init (&side, "-", &key, NULL);
  _osi_diff_side_feed (&side, data, split);
  _osi_diff_side_feed (&side, data + split, len - split);
  _osi_diff_side_finish_rag (&side);
  if (side.error != NULL)
    {
      g_propagate_error (error, g_steal_pointer (&side.error));
      _osi_diff_side_clear (&side);
      return NULL;
    }

  /* Entries in any order: a sum of one digest per entry, its name and
   * its fields. */
  g_hash_table_iter_init (&iter, side.entries);
  while (g_hash_table_iter_next (&iter, &name, &value))
    {
      const Entry *entry = value;
      Hasher h;
      Digest d;

      hasher_init (&h, &key, 'e');
      hasher_update (&h, name, strlen (name) + 1);
      hasher_digest (&h, &entry->whole);
      for (guint i = 0; i < entry->n_fields; i++)
        {
          hasher_update (&h, (const guint8 *)entry->fields[i].name, strlen (entry->fields[i].name) + 1);
          hasher_digest (&h, &entry->fields[i].digest);
        }
      d = hasher_finish (&h);
      sum_lo += d.lo;
      sum_hi += d.hi;
    }
  if (out_entries != NULL)
    *out_entries = g_hash_table_size (side.entries);
  fingerprint = g_strdup_printf ("%016" G_GINT64_MODIFIER "x%016" G_GINT64_MODIFIER "x", sum_hi, sum_lo);
  _osi_diff_side_clear (&side);
  return fingerprint;
}

