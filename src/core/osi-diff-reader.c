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
 * streamed once through a small JSON parser that reduces every value to a
 * 128-bit digest (objects hashed over their members sorted, so that key
 * order and whitespace do not count), keeping per entry only its name,
 * the digest of the whole entry and one digest per top-level field.
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
  side->frames = g_array_new (FALSE, TRUE, sizeof (Frame));
  g_array_set_clear_func (side->frames, frame_clear);
  side->capture = g_string_new (NULL);
  side->entry_fields = g_array_new (FALSE, FALSE, sizeof (Field));
  side->state = S_START;
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

static void side_fail (Side       *side,
                       const char *format,
                       ...) G_GNUC_PRINTF (2, 3);

/* The knowledge base cannot be read: says where, once. */
static void
side_fail (Side       *side,
           const char *format,
           ...)
{
  g_autofree char *why = NULL;
  g_autofree char *offset = NULL;
  va_list args;

  if (side->error != NULL)
    return;
  va_start (args, format);
  why = g_strdup_vprintf (format, args);
  va_end (args);
  offset = g_strdup_printf ("%" G_GUINT64_FORMAT, side->offset);
  /* Translators: the first %s is a backup or folder, the second the
   * problem, the third a byte offset in the knowledge base */
  side->error = g_error_new (OSI_ERROR, OSI_ERROR_INVALID_DATA,
                             _("The knowledge base of “%s” cannot be compared: %s (byte %s)."),
                             side->label, why, offset);
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
    {
      side->state = S_END;
      return;
    }

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

  side->state = S_AFTER;
}

static void
side_open (Side     *side,
           gboolean  is_object)
{
  Frame *frame;

  if (side->depth == 0 && !is_object)
    {
      side_fail (side, "%s", _("it is not a JSON object of entries"));
      return;
    }
  if (side->depth >= MAX_DEPTH)
    {
      side_fail (side, "%s", _("it is nested too deeply"));
      return;
    }
  if (side->depth == 1)
    side->entry_is_object = is_object;

  if (side->frames->len <= side->depth)
    g_array_set_size (side->frames, side->depth + 1);
  frame = &g_array_index (side->frames, Frame, side->depth);
  frame->is_object = is_object;
  if (is_object)
    {
      frame->n_members = 0;
    }
  else
    hasher_init (&frame->h, &side->key, 'a');
  side->depth++;
  side->state = is_object ? S_OBJECT_FIRST : S_ARRAY_FIRST;
}

static void
side_close (Side     *side,
            gboolean  is_object)
{
  Frame *frame = &g_array_index (side->frames, Frame, side->depth - 1);
  Digest digest = { 0, 0 };

  if (frame->is_object != is_object)
    {
      side_fail (side, "%s", _("a bracket does not match"));
      return;
    }
  if (is_object && side->depth > 1)
    {
      Hasher h;

      sort_members (frame->members, frame->n_members);
      hasher_init (&h, &side->key, 'o');
      hasher_update (&h, (const guint8 *)frame->members, frame->n_members * sizeof (Member));
      digest = hasher_finish (&h);
    }
  else if (!is_object)
    digest = hasher_finish (&frame->h);

  side->depth--;
  side_value_done (side, &digest);
}

static void
side_constant (Side *side,
               guint8 tag)
{
  Digest digest = short_digest (NULL, 0, tag);

  side_value_done (side, &digest);
}

/* Numbers compare by value: 1, 1.0 and 1e0 are the same. */
static void
side_number_done (Side *side)
{
  char canonical[G_ASCII_DTOSTR_BUF_SIZE + 32];
  Hasher h;
  Digest digest;
  char *end = NULL;
  const char *n = side->number;
  double value;

  side->number[side->number_len] = '\0';
  /* Plain integers (every number of a knowledge base) are already in
   * canonical form, but for "-0". */
  if (side->number_len <= SHORT_MAX && strcmp (n, "-0") != 0)
    {
      const char *digits = n[0] == '-' ? n + 1 : n;
      gsize n_digits = strspn (digits, "0123456789");

      if (n_digits > 0 && digits[n_digits] == '\0' && (digits[0] != '0' || n_digits == 1))
        {
          digest = short_digest ((const guint8 *)n, side->number_len, 'n');
          side_value_done (side, &digest);
          return;
        }
    }
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
      side_fail (side, "%s", _("a number is not valid"));
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

static void
side_string_bytes (Side         *side,
                   const guint8 *data,
                   gsize         len)
{
  if (!side->hashing)
    {
      if (side->short_len + len <= SHORT_MAX)
        {
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
          side_fail (side, "%s", _("a name is too long"));
          return;
        }
      g_string_append_len (side->capture, (const char *)data, (gssize)len);
    }
}

static void
side_code_point (Side    *side,
                 guint32  c)
{
  char utf8[8];
  int n = g_unichar_to_utf8 (c, utf8);

  side_string_bytes (side, (const guint8 *)utf8, (gsize)n);
}

static void
side_flush_surrogate (Side *side)
{
  if (side->high_surrogate != 0)
    {
      side->high_surrogate = 0;
      side_code_point (side, 0xfffd);
    }
}

static void
side_string_start (Side     *side,
                   gboolean  in_key)
{
  side->in_key = in_key;
  side->state = S_STRING;
  side->high_surrogate = 0;
  side->short_len = 0;
  side->hashing = FALSE;
  /* The entries' names, and the names of their fields. */
  side->capturing = in_key && (side->depth == 1 || (side->depth == 2 && side->entry_is_object));
  if (side->capturing)
    {
      g_string_truncate (side->capture, 0);
      side->capture_cap = side->depth == 1 ? MAX_NAME_BYTES : MAX_FIELD_BYTES;
    }
}

static void
side_string_done (Side         *side,
                  const Digest *digest);

static void
side_string_end (Side *side)
{
  Digest digest;

  side_flush_surrogate (side);
  digest = side->hashing ? hasher_finish (&side->sh) : short_digest (side->short_buf, side->short_len, 's');
  side_string_done (side, &digest);
}

/* A string whose whole body is data[0..len): the digest the streaming
 * path would give, without copying. */
static void
side_string_whole (Side         *side,
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
  side_string_done (side, &digest);
}

static void
side_string_done (Side         *side,
                  const Digest *value)
{
  Digest digest = *value;

  if (!side->in_key)
    {
      side_value_done (side, &digest);
      return;
    }

  g_array_index (side->frames, Frame, side->depth - 1).key = digest;
  if (side->capturing)
    {
      if (!g_utf8_validate_len (side->capture->str, side->capture->len, NULL) ||
          memchr (side->capture->str, '\0', side->capture->len) != NULL)
        {
          side_fail (side, "%s", _("a name is not valid UTF-8 text"));
          return;
        }
      if (side->depth == 1)
        {
          g_free (side->entry_name);
          side->entry_name = g_strdup (side->capture->str);
          g_array_set_size (side->entry_fields, 0);
          side->entry_is_object = FALSE;
        }
      else
        {
          side->field_name = side_intern (side, side->capture->str);
        }
    }
  side->state = S_COLON;
}

static void
side_begin_value (Side   *side,
                  guint8  c)
{
  switch (c)
    {
    case '{':
      side_open (side, TRUE);
      break;
    case '[':
      side_open (side, FALSE);
      break;
    case '"':
      if (side->depth == 0)
        side_fail (side, "%s", _("it is not a JSON object of entries"));
      else
        side_string_start (side, FALSE);
      break;
    case 't':
    case 'f':
    case 'n':
      if (side->depth == 0)
        {
          side_fail (side, "%s", _("it is not a JSON object of entries"));
          break;
        }
      side->literal = c == 't' ? "true" : c == 'f' ? "false" : "null";
      side->literal_pos = 1;
      side->state = S_LITERAL;
      break;
    default:
      if (c == '-' || (c >= '0' && c <= '9'))
        {
          if (side->depth == 0)
            {
              side_fail (side, "%s", _("it is not a JSON object of entries"));
              break;
            }
          side->number[0] = (char)c;
          side->number_len = 1;
          side->state = S_NUMBER;
        }
      else
        side_fail (side, "%s", _("a value is expected"));
      break;
    }
}

/* After a value: a comma, or the end of its array or object. */
static void
side_after_value (Side   *side,
                  guint8  c)
{
  gboolean in_object;

  if (is_ws (c))
    return;
  in_object = g_array_index (side->frames, Frame, side->depth - 1).is_object;
  if (c == ',')
    side->state = in_object ? S_KEY : S_VALUE;
  else if (c == '}' || c == ']')
    side_close (side, c == '}');
  else
    side_fail (side, "%s", _("a comma or a closing bracket is expected"));
}

/* The character after a backslash in a string. */
static void
side_escape (Side   *side,
             guint8  c)
{
  guint8 out;

  side->state = S_STRING;
  switch (c)
    {
    case '"': out = '"'; break;
    case '\\': out = '\\'; break;
    case '/': out = '/'; break;
    case 'b': out = '\b'; break;
    case 'f': out = '\f'; break;
    case 'n': out = '\n'; break;
    case 'r': out = '\r'; break;
    case 't': out = '\t'; break;
    case 'u':
      side->unicode = 0;
      side->unicode_digits = 0;
      side->state = S_UNICODE;
      out = 0;
      break;
    default:
      side_fail (side, "%s", _("a text holds an invalid escape"));
      out = 0;
      break;
    }
  if (side->state == S_STRING && side->error == NULL)
    {
      side_flush_surrogate (side);
      side_string_bytes (side, &out, 1);
    }
}

/* One of the four hexadecimal digits of a \uXXXX escape. */
static void
side_unicode_digit (Side   *side,
                    guint8  c)
{
  int v = g_ascii_xdigit_value (c);

  if (v < 0)
    {
      side_fail (side, "%s", _("a text holds an invalid escape"));
      return;
    }
  side->unicode = (side->unicode << 4) | (guint32)v;
  if (++side->unicode_digits < 4)
    return;
  side->state = S_STRING;
  if (side->unicode >= 0xd800 && side->unicode < 0xdc00)
    {
      side_flush_surrogate (side);
      side->high_surrogate = side->unicode;
    }
  else if (side->unicode >= 0xdc00 && side->unicode < 0xe000)
    {
      if (side->high_surrogate != 0)
        {
          guint32 cp = 0x10000 + ((side->high_surrogate - 0xd800) << 10) + (side->unicode - 0xdc00);

          side->high_surrogate = 0;
          side_code_point (side, cp);
        }
      else
        side_code_point (side, 0xfffd);
    }
  else
    {
      side_flush_surrogate (side);
      if (side->unicode == 0 && side->capturing)
        side_fail (side, "%s", _("a name holds a NUL character"));
      else
        side_code_point (side, side->unicode);
    }
}

/* Feeds the next bytes of rag/search.json. */
void
_osi_diff_side_feed (Side         *side,
                     const guint8 *data,
                     gsize         len)
{
  gsize i = 0;

  side->rag_read = TRUE;
  while (i < len && side->error == NULL)
    {
      guint8 c = data[i];

      if (is_ws (c) && side->state > S_START && side->state <= S_END)
        {
          gsize next = (gsize)(skip_ws (data + i, data + len) - data);

          side->offset += next - i;
          i = next;
          continue;
        }

      switch (side->state)
        {
        case S_START:
          /* No byte order mark, as for verification. */
          side->state = S_VALUE;
          continue;

        case S_VALUE:
          if (!is_ws (c))
            side_begin_value (side, c);
          break;

        case S_ARRAY_FIRST:
          if (is_ws (c))
            break;
          if (c == ']')
            side_close (side, FALSE);
          else
            side_begin_value (side, c);
          break;

        case S_OBJECT_FIRST:
        case S_KEY:
          if (is_ws (c))
            break;
          if (c == '"')
            side_string_start (side, TRUE);
          else if (c == '}' && side->state == S_OBJECT_FIRST)
            side_close (side, TRUE);
          else
            side_fail (side, "%s", _("a member name is expected"));
          break;

        case S_COLON:
          if (is_ws (c))
            break;
          if (c == ':')
            side->state = S_VALUE;
          else
            side_fail (side, "%s", _("a colon is expected"));
          break;

        case S_AFTER:
          side_after_value (side, c);
          break;

        case S_END:
          if (!is_ws (c))
            side_fail (side, "%s", _("there is text after the end of the JSON"));
          break;

        case S_STRING:
          {
            gsize start = i;

            i = (gsize)(skip_string_run (data + i, data + len) - data);
            side->offset += i - start;
            /* Most strings: no escape, not kept as a name, within one block. */
            if (i < len && data[i] == '"' && side->short_len == 0 && !side->hashing && !side->capturing &&
                side->high_surrogate == 0)
              {
                side_string_whole (side, data + start, i - start);
                break;
              }
            if (i > start)
              {
                side_flush_surrogate (side);
                side_string_bytes (side, data + start, i - start);
              }
            if (i == len)
              continue;
            c = data[i];
            if (c == '"')
              side_string_end (side);
            else if (c == '\\')
              side->state = S_ESCAPE;
            else
              side_fail (side, "%s", _("a text holds a control character"));
          }
          break;

        case S_ESCAPE:
          side_escape (side, c);
          break;

        case S_UNICODE:
          side_unicode_digit (side, c);
          break;

        case S_NUMBER:
          if ((c >= '0' && c <= '9') || c == '.' || c == 'e' || c == 'E' || c == '+' || c == '-')
            {
              if (side->number_len >= MAX_NUMBER)
                {
                  side_fail (side, "%s", _("a number is too long"));
                  break;
                }
              side->number[side->number_len++] = (char)c;
              break;
            }
          side_number_done (side);
          continue; /* c ends the number: read it again in the new state */

        case S_LITERAL:
          if (side->literal[side->literal_pos] != (char)c)
            {
              side_fail (side, "%s", _("a value is expected"));
              break;
            }
          if (side->literal[++side->literal_pos] == '\0')
            side_constant (side, (guint8)side->literal[0]);
          break;

        default:
          g_assert_not_reached ();
        }
      i++;
      side->offset++;
    }
}

void
_osi_diff_side_finish_rag (Side *side)
{
  if (side->error != NULL)
    return;
  if (side->state == S_NUMBER)
    side_number_done (side);
  if (side->state != S_END)
    side_fail (side, "%s", side->state == S_START ? _("the file is empty") : _("it ends too early"));
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

