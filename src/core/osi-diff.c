/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "osi-core"

#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <dirent.h>

#include <glib/gi18n-lib.h>

#include "osi-archive-private.h"
#include "osi-diff-private.h"
#include "osi-diff.h"
#include "osi-error.h"
#include "osi-json-scan-private.h"
#include "osi-open.h"
#include "osi-sha256.h"

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
#define MAX_NUMBER      512
#define IO_BLOCK        (1024 * 1024)

/* ------------------------------------------------------------------------ */
/* Digests                                                                  */

typedef struct
{
  guint64 lo;
  guint64 hi;
} Digest;

/* MurmurHash3's x64 128-bit construction, streaming, keyed by its seed. */
typedef struct
{
  guint64 a;
  guint64 b;
  guint64 len;
  guint8  buf[16];
  guint   nbuf;
} Hasher;

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

/* Values of up to SHORT_MAX bytes (most keys, many values) are their own
 * digest, bytes and length, which saves hashing them. A hashed digest
 * looks random: that it equals one of these is as unlikely as any other
 * collision. */
#define SHORT_MAX 14

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

static inline gboolean
digest_equal (const Digest *x,
              const Digest *y)
{
  return x->lo == y->lo && x->hi == y->hi;
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
/* What one side holds                                                      */

typedef struct
{
  const char *name;   /* owned by Side.names */
  Digest      digest;
} Field;

typedef struct
{
  Digest  whole;
  guint   n_fields;
  Field   fields[];   /* sorted by name */
} Entry;

typedef struct
{
  gint64 size;
  char   sha256[OSI_SHA256_HEX_LEN + 1];
} FileInfo;

typedef struct
{
  Digest key;
  Digest value;
} Member;

typedef struct
{
  Digest   key;
  Member  *members;   /* objects; kept from one object to the next */
  guint    n_members;
  guint    members_cap;
  Hasher   h;         /* arrays */
  gboolean is_object;
} Frame;

typedef enum
{
  S_START,
  S_VALUE,
  S_ARRAY_FIRST,
  S_OBJECT_FIRST,
  S_KEY,
  S_COLON,
  S_AFTER,
  S_END,
  S_STRING,
  S_ESCAPE,
  S_UNICODE,
  S_NUMBER,
  S_LITERAL,
} State;

typedef struct
{
  const char   *label;       /* for messages */
  Digest        key;

  GHashTable   *entries;     /* name → Entry */
  GHashTable   *names;       /* field names, interned per side */
  GHashTable   *files;       /* path → FileInfo */
  OsiVerifyReport *report;
  gboolean      rag_read;
  GError       *error;
  GCancellable *cancellable;

  /* the parser */
  State         state;
  guint64       offset;
  GArray       *frames;      /* Frame */
  guint         depth;
  Hasher        sh;          /* the string being read, once longer than SHORT_MAX */
  guint8        short_buf[SHORT_MAX];
  guint         short_len;
  gboolean      hashing;
  gboolean      in_key;
  GString      *capture;     /* the root's keys and the entries' field names */
  gboolean      capturing;
  gsize         capture_cap;
  guint32       unicode;
  guint         unicode_digits;
  guint32       high_surrogate;
  char          number[MAX_NUMBER + 1];
  guint         number_len;
  const char   *literal;
  guint         literal_pos;
  char         *entry_name;
  gboolean      entry_is_object;
  GArray       *entry_fields; /* Field */
  const char   *field_name;  /* interned in names */
} Side;

static void
frame_clear (gpointer data)
{
  Frame *frame = data;

  g_clear_pointer (&frame->members, g_free);
}

static void
side_init (Side         *side,
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

static void
side_clear (Side *side)
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

/* Feeds the next bytes of rag/search.json. */
static void
side_feed (Side         *side,
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
          {
            gboolean in_object;

            if (is_ws (c))
              break;
            in_object = g_array_index (side->frames, Frame, side->depth - 1).is_object;
            if (c == ',')
              side->state = in_object ? S_KEY : S_VALUE;
            else if (c == '}' || c == ']')
              side_close (side, c == '}');
            else
              side_fail (side, "%s", _("a comma or a closing bracket is expected"));
          }
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
          break;

        case S_UNICODE:
          {
            int v = g_ascii_xdigit_value (c);

            if (v < 0)
              {
                side_fail (side, "%s", _("a text holds an invalid escape"));
                break;
              }
            side->unicode = (side->unicode << 4) | (guint32)v;
            if (++side->unicode_digits < 4)
              break;
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

static void
side_finish_rag (Side *side)
{
  if (side->error != NULL)
    return;
  if (side->state == S_NUMBER)
    side_number_done (side);
  if (side->state != S_END)
    side_fail (side, "%s", side->state == S_START ? _("the file is empty") : _("it ends too early"));
}

/* ------------------------------------------------------------------------ */
/* Reading a side: an archive or a data directory                           */

static void
side_add_file (Side       *side,
               const char *path,
               gint64      size,
               const char *sha256)
{
  FileInfo *info;

  if (!g_str_has_prefix (path, "config/") && !g_str_has_prefix (path, "data/"))
    return;
  info = g_new0 (FileInfo, 1);
  info->size = size;
  g_strlcpy (info->sha256, sha256 != NULL ? sha256 : "", sizeof info->sha256);
  /* A folder's file names may be any bytes; the comparison is shown as
   * text (an archive refuses such names). */
  g_hash_table_replace (side->files, g_utf8_make_valid (path, -1), info);
}

static void
on_archive_data (const char   *path,
                 const guint8 *data,
                 gsize         len,
                 gpointer      user_data)
{
  Side *side = user_data;

  if (strcmp (path, OSI_RAG_PATH) == 0)
    side_feed (side, data, len);
}

/* The archive is read from fd when it is not -1, else from path. */
static gboolean
read_archive (Side         *side,
              const char   *path,
              int           fd,
              GError      **error)
{
  g_autoptr(OsiVerifyReport) report = NULL;
  GPtrArray *entries;

  if (fd >= 0)
    report = osi_archive_verify_reading_fd (fd, path, NULL, on_archive_data, side, side->cancellable, error);
  else
    report = osi_archive_verify_reading (path, NULL, on_archive_data, side, side->cancellable, error);
  if (report == NULL)
    return FALSE;
  side->report = g_object_ref (report);

  if (osi_verify_report_get_verdict (report) == OSI_VERDICT_NOT_RESTORABLE)
    {
      GPtrArray *findings = osi_verify_report_get_findings (report);
      const OsiFinding *first = g_ptr_array_index (findings, 0);

      /* Translators: the first %s is a file, the second a complete sentence */
      g_set_error (error, OSI_ERROR, OSI_ERROR_VERIFICATION_FAILED,
                   _("“%s” failed verification, so it cannot be compared: run “osi-backup-cli verify” on it for "
                     "the full report. First problem: %s"),
                   side->label, first->message);
      return FALSE;
    }

  side_finish_rag (side);
  if (side->error != NULL)
    {
      g_propagate_error (error, g_steal_pointer (&side->error));
      return FALSE;
    }

  entries = osi_verify_report_get_entries (report);
  for (guint i = 0; i < entries->len; i++)
    {
      const OsiFileEntry *entry = g_ptr_array_index (entries, i);

      if (!entry->is_dir)
        side_add_file (side, entry->path, entry->size, entry->sha256);
    }
  return TRUE;
}

/* Reads fd to its end, handing each block to func. */
static gboolean
read_fd (int           fd,
         guint8       *buffer,
         const char   *path,
         void        (*func) (gpointer, const guint8 *, gsize),
         gpointer      user_data,
         GCancellable *cancellable,
         GError      **error)
{
  for (;;)
    {
      ssize_t n = read (fd, buffer, IO_BLOCK);

      if (n < 0 && errno == EINTR)
        continue;
      if (n < 0)
        return osi_set_error_from_errno (error, errno, _("Cannot read “%s”"), path);
      if (n == 0)
        return TRUE;
      func (user_data, buffer, (gsize)n);
      if (g_cancellable_set_error_if_cancelled (cancellable, error))
        return FALSE;
    }
}

static void
feed_sha (gpointer      sha,
          const guint8 *data,
          gsize         len)
{
  osi_sha256_update (sha, data, len);
}

static void
feed_side (gpointer      side,
           const guint8 *data,
           gsize         len)
{
  side_feed (side, data, len);
}

/* A regular file of a data folder, as osi_open_regular_at () opens it:
 * never a FIFO or a device, which could block or never end. */
static int
open_regular (int           dir_fd,
              const char   *name,
              const char   *shown,
              GError      **error)
{
  GError *reason = NULL;
  int fd = osi_open_regular_at (dir_fd, name, OSI_OPEN_NONE, NULL, &reason);

  if (fd < 0)
    {
      g_set_error (error, reason->domain, reason->code, _("Cannot read “%s”: %s"), shown, reason->message);
      g_error_free (reason);
    }
  return fd;
}

/* The regular files under dir_fd (relative path prefix), symbolic links
 * not followed: a restore would not take them either. */
static gboolean
walk_files (Side        *side,
            int          dir_fd,
            const char  *prefix,
            const char  *shown,
            OsiSha256   *sha,
            guint8      *buffer,
            GError     **error)
{
  g_autoptr(GPtrArray) names = g_ptr_array_new_with_free_func (g_free);
  DIR *dir;
  struct dirent *d;
  int fd = dup (dir_fd);

  if (fd < 0 || (dir = fdopendir (fd)) == NULL)
    {
      int saved = errno;

      if (fd >= 0)
        close (fd);
      return osi_set_error_from_errno (error, saved, _("Cannot read “%s”"), shown);
    }
  while ((d = readdir (dir)) != NULL)
    if (strcmp (d->d_name, ".") != 0 && strcmp (d->d_name, "..") != 0)
      g_ptr_array_add (names, g_strdup (d->d_name));
  closedir (dir);

  for (guint i = 0; i < names->len; i++)
    {
      const char *name = g_ptr_array_index (names, i);
      g_autofree char *path = g_strconcat (prefix, "/", name, NULL);
      struct stat st;
      int child;

      if (g_cancellable_set_error_if_cancelled (side->cancellable, error))
        return FALSE;
      if (fstatat (dir_fd, name, &st, AT_SYMLINK_NOFOLLOW) < 0)
        return osi_set_error_from_errno (error, errno, _("Cannot read “%s”"), path);
      if (S_ISDIR (st.st_mode))
        {
          gboolean ok;

          child = openat (dir_fd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
          if (child < 0)
            return osi_set_error_from_errno (error, errno, _("Cannot read “%s”"), path);
          ok = walk_files (side, child, path, shown, sha, buffer, error);
          close (child);
          if (!ok)
            return FALSE;
        }
      else if (S_ISREG (st.st_mode))
        {
          char hex[OSI_SHA256_HEX_LEN + 1];
          gboolean ok;

          child = open_regular (dir_fd, name, path, error);
          if (child < 0)
            return FALSE;
          osi_sha256_reset (sha);
          ok = read_fd (child, buffer, path, feed_sha, sha, side->cancellable, error);
          close (child);
          if (!ok)
            return FALSE;
          osi_sha256_finish_hex (sha, hex);
          side_add_file (side, path, st.st_size, hex);
        }
    }
  return TRUE;
}

static gboolean
read_directory (Side        *side,
                const char  *path,
                gboolean     empty_ok,
                GError     **error)
{
  g_autoptr(OsiSha256) sha = osi_sha256_new ();
  g_autofree guint8 *buffer = g_malloc (IO_BLOCK);
  static const char *const sections[] = { "config", "data" };
  g_autoptr(GError) open_error = NULL;
  gboolean found = FALSE;
  int root;
  int fd;

  root = open (path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (root < 0)
    return osi_set_error_from_errno (error, errno, _("Cannot read “%s”"), path);

  fd = open_regular (root, OSI_RAG_PATH, OSI_RAG_PATH, &open_error);
  if (fd >= 0)
    {
      gboolean ok = read_fd (fd, buffer, OSI_RAG_PATH, feed_side, side, side->cancellable, error);

      close (fd);
      found = TRUE;
      if (!ok)
        goto fail;
      side_finish_rag (side);
      if (side->error != NULL)
        {
          g_propagate_error (error, g_steal_pointer (&side->error));
          goto fail;
        }
    }
  else if (!g_error_matches (open_error, G_IO_ERROR, G_IO_ERROR_NOT_FOUND))
    {
      g_propagate_error (error, g_steal_pointer (&open_error));
      goto fail;
    }
  else
    {
      struct stat st;

      found = fstatat (root, "rag", &st, AT_SYMLINK_NOFOLLOW) == 0 && S_ISDIR (st.st_mode);
    }

  for (guint i = 0; i < G_N_ELEMENTS (sections); i++)
    {
      int dir = openat (root, sections[i], O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
      gboolean ok;

      if (dir < 0)
        {
          if (errno == ENOENT)
            continue;
          osi_set_error_from_errno (error, errno, _("Cannot read “%s”"), sections[i]);
          goto fail;
        }
      found = TRUE;
      ok = walk_files (side, dir, sections[i], path, sha, buffer, error);
      close (dir);
      if (!ok)
        goto fail;
    }

  close (root);
  if (!found && !empty_ok)
    {
      g_set_error (error, OSI_ERROR, OSI_ERROR_INVALID_DATA,
                   _("“%s” is neither a backup nor a data folder (it has no rag, config or data folder)."), path);
      return FALSE;
    }
  return TRUE;

fail:
  close (root);
  return FALSE;
}

static gboolean
read_side (Side        *side,
           const char  *path,
           int          fd,
           gboolean     missing_is_empty,
           GError     **error)
{
  struct stat st;

  if (fd >= 0)
    return read_archive (side, path, fd, error);
  if (stat (path, &st) < 0)
    {
      if (errno == ENOENT && missing_is_empty)
        return TRUE;
      return osi_set_error_from_errno (error, errno, _("Cannot read “%s”"), path);
    }
  if (S_ISDIR (st.st_mode))
    return read_directory (side, path, missing_is_empty, error);
  if (S_ISREG (st.st_mode))
    return read_archive (side, path, -1, error);
  g_set_error (error, OSI_ERROR, OSI_ERROR_INVALID_DATA,
               _("“%s” is neither a backup file nor a data folder."), path);
  return FALSE;
}

typedef struct
{
  Side        side;
  const char *path;
  int         fd;      /* an archive already open, or -1 */
  gboolean    missing_is_empty;
  gboolean    ok;
  GError     *error;
} SideJob;

static gpointer
side_thread (gpointer data)
{
  SideJob *job = data;

  job->ok = read_side (&job->side, job->path, job->fd, job->missing_is_empty, &job->error);
  return NULL;
}

/* ------------------------------------------------------------------------ */
/* The result                                                               */

struct _OsiDiff
{
  GObject    parent_instance;

  char      *a;
  char      *b;
  GPtrArray *changes[OSI_N_DIFF_SECTIONS];
  guint      unchanged[OSI_N_DIFF_SECTIONS];
};

G_DEFINE_FINAL_TYPE (OsiDiff, osi_diff, G_TYPE_OBJECT)

static void
osi_change_free (gpointer data)
{
  OsiChange *change = data;

  g_free (change->name);
  g_strfreev (change->fields);
  g_free (change);
}

static OsiChange *
change_new (OsiChangeKind  kind,
            const char    *name,
            gint64         size_a,
            gint64         size_b)
{
  OsiChange *change = g_new0 (OsiChange, 1);

  change->kind = kind;
  change->name = g_strdup (name);
  change->size_a = size_a;
  change->size_b = size_b;
  return change;
}

static int
change_compare (gconstpointer a,
                gconstpointer b)
{
  const OsiChange *x = *(OsiChange * const *)a;
  const OsiChange *y = *(OsiChange * const *)b;

  return strcmp (x->name, y->name);
}

static void
osi_diff_finalize (GObject *object)
{
  OsiDiff *self = OSI_DIFF (object);

  g_free (self->a);
  g_free (self->b);
  for (guint i = 0; i < OSI_N_DIFF_SECTIONS; i++)
    g_clear_pointer (&self->changes[i], g_ptr_array_unref);

  G_OBJECT_CLASS (osi_diff_parent_class)->finalize (object);
}

static void
osi_diff_class_init (OsiDiffClass *klass)
{
  G_OBJECT_CLASS (klass)->finalize = osi_diff_finalize;
}

static void
osi_diff_init (OsiDiff *self)
{
  for (guint i = 0; i < OSI_N_DIFF_SECTIONS; i++)
    self->changes[i] = g_ptr_array_new_with_free_func (osi_change_free);
}

/* A field named twice in an entry is listed once. */
static void
add_field (GStrvBuilder  *builder,
           const char   **last,
           const char    *name)
{
  if (*last == NULL || strcmp (*last, name) != 0)
    g_strv_builder_add (builder, name);
  *last = name;
}

/* The fields that differ between two versions of an entry; both lists
 * are sorted by name. */
static GStrv
entry_fields_diff (const Entry *a,
                   const Entry *b)
{
  g_autoptr(GStrvBuilder) builder = g_strv_builder_new ();
  const char *last = NULL;
  guint i = 0;
  guint j = 0;

  while (i < a->n_fields || j < b->n_fields)
    {
      int c;

      if (i == a->n_fields)
        c = 1;
      else if (j == b->n_fields)
        c = -1;
      else
        c = strcmp (a->fields[i].name, b->fields[j].name);

      if (c < 0)
        add_field (builder, &last, a->fields[i++].name);
      else if (c > 0)
        add_field (builder, &last, b->fields[j++].name);
      else
        {
          if (!digest_equal (&a->fields[i].digest, &b->fields[j].digest))
            add_field (builder, &last, a->fields[i].name);
          i++;
          j++;
        }
    }
  return g_strv_builder_end (builder);
}

static void
compare_entries (OsiDiff *self,
                 Side    *a,
                 Side    *b)
{
  GPtrArray *changes = self->changes[OSI_DIFF_RAG];
  GHashTableIter iter;
  gpointer key;
  gpointer value;

  g_hash_table_iter_init (&iter, a->entries);
  while (g_hash_table_iter_next (&iter, &key, &value))
    {
      const Entry *ea = value;
      const Entry *eb = g_hash_table_lookup (b->entries, key);

      if (eb == NULL)
        g_ptr_array_add (changes, change_new (OSI_CHANGE_REMOVED, key, -1, -1));
      else if (!digest_equal (&ea->whole, &eb->whole))
        {
          OsiChange *change = change_new (OSI_CHANGE_MODIFIED, key, -1, -1);

          change->fields = entry_fields_diff (ea, eb);
          g_ptr_array_add (changes, change);
        }
      else
        self->unchanged[OSI_DIFF_RAG]++;
    }

  g_hash_table_iter_init (&iter, b->entries);
  while (g_hash_table_iter_next (&iter, &key, &value))
    if (!g_hash_table_contains (a->entries, key))
      g_ptr_array_add (changes, change_new (OSI_CHANGE_ADDED, key, -1, -1));
}

static void
compare_files (OsiDiff *self,
               Side    *a,
               Side    *b)
{
  GHashTableIter iter;
  gpointer key;
  gpointer value;

  g_hash_table_iter_init (&iter, a->files);
  while (g_hash_table_iter_next (&iter, &key, &value))
    {
      const FileInfo *fa = value;
      const FileInfo *fb = g_hash_table_lookup (b->files, key);
      OsiDiffSection section = g_str_has_prefix (key, "config/") ? OSI_DIFF_CONFIG : OSI_DIFF_DATA;

      if (fb == NULL)
        g_ptr_array_add (self->changes[section], change_new (OSI_CHANGE_REMOVED, key, fa->size, -1));
      else if (fa->size != fb->size || strcmp (fa->sha256, fb->sha256) != 0)
        g_ptr_array_add (self->changes[section], change_new (OSI_CHANGE_MODIFIED, key, fa->size, fb->size));
      else
        self->unchanged[section]++;
    }

  g_hash_table_iter_init (&iter, b->files);
  while (g_hash_table_iter_next (&iter, &key, &value))
    {
      const FileInfo *fb = value;
      OsiDiffSection section = g_str_has_prefix (key, "config/") ? OSI_DIFF_CONFIG : OSI_DIFF_DATA;

      if (!g_hash_table_contains (a->files, key))
        g_ptr_array_add (self->changes[section], change_new (OSI_CHANGE_ADDED, key, -1, fb->size));
    }
}

static void
osi_diff_sort (OsiDiff *self)
{
  for (guint i = 0; i < OSI_N_DIFF_SECTIONS; i++)
    g_ptr_array_sort (self->changes[i], change_compare);
}

/* ------------------------------------------------------------------------ */
/* Public API                                                               */

/* B is read from b_fd when it is not -1, else from the path b. */
static OsiDiff *
compare (const char        *a,
         const char        *b,
         int                b_fd,
         OsiDiffFlags       flags,
         OsiVerifyReport  **out_report_b,
         GCancellable      *cancellable,
         GError           **error)
{
  g_autoptr(OsiDiff) self = NULL;
  SideJob job_a = { .fd = -1 };
  SideJob job_b = { .fd = b_fd };
  GThread *thread;
  Digest key;
  gboolean ok;

  key.lo = ((guint64)g_random_int () << 32) | g_random_int ();
  key.hi = ((guint64)g_random_int () << 32) | g_random_int ();

  side_init (&job_a.side, a, &key, cancellable);
  side_init (&job_b.side, b, &key, cancellable);
  job_a.path = a;
  job_a.missing_is_empty = (flags & OSI_DIFF_MISSING_A_IS_EMPTY) != 0;
  job_b.path = b;

  /* The two sides are independent: read them at once. */
  thread = g_thread_try_new ("osi-diff", side_thread, &job_b, NULL);
  side_thread (&job_a);
  if (thread != NULL)
    g_thread_join (thread);
  else
    side_thread (&job_b);

  if (out_report_b != NULL && job_b.side.report != NULL)
    *out_report_b = g_object_ref (job_b.side.report);

  ok = job_a.ok && job_b.ok;
  if (!ok)
    {
      if (!g_cancellable_set_error_if_cancelled (cancellable, error))
        g_propagate_error (error, job_a.ok ? g_steal_pointer (&job_b.error) : g_steal_pointer (&job_a.error));
    }
  else if (!g_cancellable_set_error_if_cancelled (cancellable, error))
    {
      self = g_object_new (OSI_TYPE_DIFF, NULL);
      self->a = g_strdup (a);
      self->b = g_strdup (b);
      compare_entries (self, &job_a.side, &job_b.side);
      compare_files (self, &job_a.side, &job_b.side);
      osi_diff_sort (self);
    }

  g_clear_error (&job_a.error);
  g_clear_error (&job_b.error);
  side_clear (&job_a.side);
  side_clear (&job_b.side);
  return g_steal_pointer (&self);
}

OsiDiff *
osi_diff_compare_full (const char        *a,
                       const char        *b,
                       OsiDiffFlags       flags,
                       OsiVerifyReport  **out_report_b,
                       GCancellable      *cancellable,
                       GError           **error)
{
  g_return_val_if_fail (a != NULL, NULL);
  g_return_val_if_fail (b != NULL, NULL);
  g_return_val_if_fail (!cancellable || G_IS_CANCELLABLE (cancellable), NULL);
  g_return_val_if_fail (!error || !*error, NULL);

  return compare (a, b, -1, flags, out_report_b, cancellable, error);
}

OsiDiff *
osi_diff_compare_archive_fd (const char        *a,
                             int                b_fd,
                             const char        *b_name,
                             OsiDiffFlags       flags,
                             OsiVerifyReport  **out_report_b,
                             GCancellable      *cancellable,
                             GError           **error)
{
  g_return_val_if_fail (a != NULL, NULL);
  g_return_val_if_fail (b_fd >= 0, NULL);
  g_return_val_if_fail (b_name != NULL, NULL);
  g_return_val_if_fail (!cancellable || G_IS_CANCELLABLE (cancellable), NULL);
  g_return_val_if_fail (!error || !*error, NULL);

  return compare (a, b_name, b_fd, flags, out_report_b, cancellable, error);
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

  side_init (&side, "-", &key, NULL);
  side_feed (&side, data, split);
  side_feed (&side, data + split, len - split);
  side_finish_rag (&side);
  if (side.error != NULL)
    {
      g_propagate_error (error, g_steal_pointer (&side.error));
      side_clear (&side);
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
  side_clear (&side);
  return fingerprint;
}

OsiDiff *
osi_diff_compare (const char    *a,
                  const char    *b,
                  GCancellable  *cancellable,
                  GError       **error)
{
  return osi_diff_compare_full (a, b, 0, NULL, cancellable, error);
}

typedef struct
{
  char *a;
  char *b;
} CompareJob;

static void
compare_job_free (gpointer data)
{
  CompareJob *job = data;

  g_free (job->a);
  g_free (job->b);
  g_free (job);
}

static void
compare_thread (GTask        *task,
                gpointer      source_object,
                gpointer      task_data,
                GCancellable *cancellable)
{
  CompareJob *job = task_data;
  GError *error = NULL;
  OsiDiff *diff = osi_diff_compare (job->a, job->b, cancellable, &error);

  if (diff != NULL)
    g_task_return_pointer (task, diff, g_object_unref);
  else
    g_task_return_error (task, error);
}

void
osi_diff_compare_async (const char          *a,
                        const char          *b,
                        GCancellable        *cancellable,
                        GAsyncReadyCallback  callback,
                        gpointer             user_data)
{
  g_autoptr(GTask) task = NULL;
  CompareJob *job;

  g_return_if_fail (a != NULL);
  g_return_if_fail (b != NULL);
  g_return_if_fail (!cancellable || G_IS_CANCELLABLE (cancellable));

  task = g_task_new (NULL, cancellable, callback, user_data);
  g_task_set_source_tag (task, osi_diff_compare_async);
  job = g_new0 (CompareJob, 1);
  job->a = g_strdup (a);
  job->b = g_strdup (b);
  g_task_set_task_data (task, job, compare_job_free);
  g_task_run_in_thread (task, compare_thread);
}

OsiDiff *
osi_diff_compare_finish (GAsyncResult  *result,
                         GError       **error)
{
  g_return_val_if_fail (g_task_is_valid (result, NULL), NULL);
  g_return_val_if_fail (g_task_get_source_tag (G_TASK (result)) == osi_diff_compare_async, NULL);

  return g_task_propagate_pointer (G_TASK (result), error);
}

const char *
osi_diff_get_a (OsiDiff *self)
{
  g_return_val_if_fail (OSI_IS_DIFF (self), NULL);
  return self->a;
}

const char *
osi_diff_get_b (OsiDiff *self)
{
  g_return_val_if_fail (OSI_IS_DIFF (self), NULL);
  return self->b;
}

void
osi_diff_set_labels (OsiDiff    *self,
                     const char *a,
                     const char *b)
{
  g_return_if_fail (OSI_IS_DIFF (self));
  g_return_if_fail (a != NULL && b != NULL);

  g_free (self->a);
  self->a = g_strdup (a);
  g_free (self->b);
  self->b = g_strdup (b);
}

GPtrArray *
osi_diff_get_changes (OsiDiff        *self,
                      OsiDiffSection  section)
{
  g_return_val_if_fail (OSI_IS_DIFF (self), NULL);
  g_return_val_if_fail (section < OSI_N_DIFF_SECTIONS, NULL);
  return self->changes[section];
}

guint
osi_diff_count (OsiDiff        *self,
                OsiDiffSection  section,
                OsiChangeKind   kind)
{
  GPtrArray *changes;
  guint n = 0;

  g_return_val_if_fail (OSI_IS_DIFF (self), 0);
  g_return_val_if_fail (section < OSI_N_DIFF_SECTIONS, 0);

  changes = self->changes[section];
  for (guint i = 0; i < changes->len; i++)
    if (((OsiChange *)g_ptr_array_index (changes, i))->kind == kind)
      n++;
  return n;
}

guint
osi_diff_get_unchanged (OsiDiff        *self,
                        OsiDiffSection  section)
{
  g_return_val_if_fail (OSI_IS_DIFF (self), 0);
  g_return_val_if_fail (section < OSI_N_DIFF_SECTIONS, 0);
  return self->unchanged[section];
}

gboolean
osi_diff_is_empty (OsiDiff *self)
{
  g_return_val_if_fail (OSI_IS_DIFF (self), TRUE);

  for (guint i = 0; i < OSI_N_DIFF_SECTIONS; i++)
    if (self->changes[i]->len > 0)
      return FALSE;
  return TRUE;
}

const char *
osi_change_kind_to_string (OsiChangeKind kind)
{
  switch (kind)
    {
    case OSI_CHANGE_ADDED:
      return "added";
    case OSI_CHANGE_REMOVED:
      return "removed";
    case OSI_CHANGE_MODIFIED:
      return "modified";
    default:
      g_return_val_if_reached (NULL);
    }
}

const char *
osi_diff_section_to_string (OsiDiffSection section)
{
  switch (section)
    {
    case OSI_DIFF_RAG:
      return "rag";
    case OSI_DIFF_CONFIG:
      return "config";
    case OSI_DIFF_DATA:
      return "data";
    case OSI_N_DIFF_SECTIONS:
    default:
      g_return_val_if_reached (NULL);
    }
}

static const OsiChangeKind kinds[] = { OSI_CHANGE_ADDED, OSI_CHANGE_REMOVED, OSI_CHANGE_MODIFIED };

JsonNode *
osi_diff_to_json (OsiDiff *self)
{
  g_autoptr(JsonBuilder) builder = json_builder_new ();
  g_autofree char *summary = NULL;

  g_return_val_if_fail (OSI_IS_DIFF (self), NULL);

  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, "a");
  json_builder_add_string_value (builder, self->a);
  json_builder_set_member_name (builder, "b");
  json_builder_add_string_value (builder, self->b);

  for (guint s = 0; s < OSI_N_DIFF_SECTIONS; s++)
    {
      GPtrArray *changes = self->changes[s];

      json_builder_set_member_name (builder, osi_diff_section_to_string (s));
      json_builder_begin_object (builder);
      for (guint k = 0; k < G_N_ELEMENTS (kinds); k++)
        {
          json_builder_set_member_name (builder, osi_change_kind_to_string (kinds[k]));
          json_builder_add_int_value (builder, osi_diff_count (self, s, kinds[k]));
        }
      json_builder_set_member_name (builder, "unchanged");
      json_builder_add_int_value (builder, self->unchanged[s]);
      json_builder_set_member_name (builder, "changes");
      json_builder_begin_array (builder);
      for (guint i = 0; i < changes->len; i++)
        {
          const OsiChange *change = g_ptr_array_index (changes, i);

          json_builder_begin_object (builder);
          json_builder_set_member_name (builder, "name");
          json_builder_add_string_value (builder, change->name);
          json_builder_set_member_name (builder, "change");
          json_builder_add_string_value (builder, osi_change_kind_to_string (change->kind));
          if (s == OSI_DIFF_RAG)
            {
              if (change->kind == OSI_CHANGE_MODIFIED)
                {
                  json_builder_set_member_name (builder, "fields");
                  json_builder_begin_array (builder);
                  for (guint f = 0; change->fields != NULL && change->fields[f] != NULL; f++)
                    json_builder_add_string_value (builder, change->fields[f]);
                  json_builder_end_array (builder);
                }
            }
          else
            {
              if (change->size_a >= 0)
                {
                  json_builder_set_member_name (builder, "size_a");
                  json_builder_add_int_value (builder, change->size_a);
                }
              if (change->size_b >= 0)
                {
                  json_builder_set_member_name (builder, "size_b");
                  json_builder_add_int_value (builder, change->size_b);
                }
            }
          json_builder_end_object (builder);
        }
      json_builder_end_array (builder);
      json_builder_end_object (builder);
    }

  summary = osi_diff_describe_restore (self);
  json_builder_set_member_name (builder, "summary");
  json_builder_add_string_value (builder, summary);
  json_builder_end_object (builder);
  return json_builder_get_root (builder);
}

static gboolean
invalid_json (GError    **error,
              const char *what)
{
  /* Translators: %s names what is wrong in the JSON */
  g_set_error (error, OSI_ERROR, OSI_ERROR_INVALID_DATA,
               _("The comparison received is not valid: %s."), what);
  return FALSE;
}

static gboolean
kind_from_string (const char    *s,
                  OsiChangeKind *kind)
{
  for (guint k = 0; k < G_N_ELEMENTS (kinds); k++)
    if (g_strcmp0 (s, osi_change_kind_to_string (kinds[k])) == 0)
      {
        *kind = kinds[k];
        return TRUE;
      }
  return FALSE;
}

static gint64
optional_size (JsonObject *object,
               const char *member)
{
  JsonNode *node = json_object_get_member (object, member);

  if (node == NULL || json_node_get_value_type (node) != G_TYPE_INT64 || json_node_get_int (node) < 0)
    return -1;
  return json_node_get_int (node);
}

static gboolean
section_from_json (OsiDiff        *self,
                   OsiDiffSection  s,
                   JsonObject     *object,
                   GError        **error)
{
  JsonNode *node = json_object_get_member (object, "changes");
  JsonNode *unchanged = json_object_get_member (object, "unchanged");
  JsonArray *array;

  if (node == NULL || !JSON_NODE_HOLDS_ARRAY (node))
    return invalid_json (error, _("a section has no list of changes"));
  if (unchanged != NULL && json_node_get_value_type (unchanged) == G_TYPE_INT64 &&
      json_node_get_int (unchanged) >= 0 && json_node_get_int (unchanged) <= G_MAXUINT)
    self->unchanged[s] = (guint)json_node_get_int (unchanged);

  array = json_node_get_array (node);
  for (guint i = 0; i < json_array_get_length (array); i++)
    {
      JsonNode *element = json_array_get_element (array, i);
      JsonObject *item;
      const char *name;
      OsiChangeKind kind;
      OsiChange *change;

      if (!JSON_NODE_HOLDS_OBJECT (element))
        return invalid_json (error, _("a change is not an object"));
      item = json_node_get_object (element);
      name = json_object_get_string_member_with_default (item, "name", NULL);
      if (name == NULL ||
          !kind_from_string (json_object_get_string_member_with_default (item, "change", NULL), &kind))
        return invalid_json (error, _("a change has no name or no kind"));

      change = change_new (kind, name, optional_size (item, "size_a"), optional_size (item, "size_b"));
      g_ptr_array_add (self->changes[s], change);
      if (s == OSI_DIFF_RAG && kind == OSI_CHANGE_MODIFIED)
        {
          JsonNode *fields = json_object_get_member (item, "fields");
          g_autoptr(GStrvBuilder) builder = g_strv_builder_new ();

          if (fields != NULL && JSON_NODE_HOLDS_ARRAY (fields))
            {
              JsonArray *list = json_node_get_array (fields);

              for (guint f = 0; f < json_array_get_length (list); f++)
                {
                  JsonNode *field = json_array_get_element (list, f);

                  if (json_node_get_value_type (field) == G_TYPE_STRING)
                    g_strv_builder_add (builder, json_node_get_string (field));
                }
            }
          change->fields = g_strv_builder_end (builder);
        }
    }
  return TRUE;
}

OsiDiff *
osi_diff_new_from_json (JsonNode  *node,
                        GError   **error)
{
  g_autoptr(OsiDiff) self = NULL;
  JsonObject *root;

  g_return_val_if_fail (node != NULL, NULL);
  g_return_val_if_fail (!error || !*error, NULL);

  if (!JSON_NODE_HOLDS_OBJECT (node))
    {
      invalid_json (error, _("it is not a JSON object"));
      return NULL;
    }
  root = json_node_get_object (node);

  self = g_object_new (OSI_TYPE_DIFF, NULL);
  self->a = g_strdup (json_object_get_string_member_with_default (root, "a", ""));
  self->b = g_strdup (json_object_get_string_member_with_default (root, "b", ""));
  for (guint s = 0; s < OSI_N_DIFF_SECTIONS; s++)
    {
      JsonNode *section = json_object_get_member (root, osi_diff_section_to_string (s));

      if (section == NULL || !JSON_NODE_HOLDS_OBJECT (section))
        {
          invalid_json (error, _("a section is missing"));
          return NULL;
        }
      if (!section_from_json (self, s, json_node_get_object (section), error))
        return NULL;
    }
  osi_diff_sort (self);
  return g_steal_pointer (&self);
}

/* A sentence of up to three counts. Each count is its own ngettext, and
 * the clauses after the first are separate messages, since languages
 * shorten them differently (French: « retirera 12 entrées, en ajoutera
 * 3 »); the sentence around them is a template per number of clauses. */
static char *
describe_section (OsiDiff        *self,
                  OsiDiffSection  section)
{
  guint removed = osi_diff_count (self, section, OSI_CHANGE_REMOVED);
  guint added = osi_diff_count (self, section, OSI_CHANGE_ADDED);
  guint modified = osi_diff_count (self, section, OSI_CHANGE_MODIFIED);
  g_autoptr(GPtrArray) clauses = g_ptr_array_new_with_free_func (g_free);

  /* The format of each clause must stay a literal ngettext () for the
   * compiler to check it: hence one call per case. */
  if (removed > 0)
    {
      char *clause;

      if (section == OSI_DIFF_RAG)
        clause = g_strdup_printf (g_dngettext (GETTEXT_PACKAGE, "remove %u entry", "remove %u entries", removed),
                                  removed);
      else if (section == OSI_DIFF_CONFIG)
        clause = g_strdup_printf (g_dngettext (GETTEXT_PACKAGE, "remove %u configuration file",
                                               "remove %u configuration files", removed), removed);
      else
        clause = g_strdup_printf (g_dngettext (GETTEXT_PACKAGE, "remove %u data file", "remove %u data files",
                                               removed), removed);
      g_ptr_array_add (clauses, clause);
    }
  if (added > 0)
    {
      char *clause;

      if (clauses->len > 0)
        /* Translators: a clause after "remove N entries" or "remove N files": what else the restore adds */
        clause = g_strdup_printf (g_dngettext (GETTEXT_PACKAGE, "add %u", "add %u", added), added);
      else if (section == OSI_DIFF_RAG)
        clause = g_strdup_printf (g_dngettext (GETTEXT_PACKAGE, "add %u entry", "add %u entries", added), added);
      else if (section == OSI_DIFF_CONFIG)
        clause = g_strdup_printf (g_dngettext (GETTEXT_PACKAGE, "add %u configuration file",
                                               "add %u configuration files", added), added);
      else
        clause = g_strdup_printf (g_dngettext (GETTEXT_PACKAGE, "add %u data file", "add %u data files", added),
                                  added);
      g_ptr_array_add (clauses, clause);
    }
  if (modified > 0)
    {
      char *clause;

      if (clauses->len > 0)
        /* Translators: a clause after "remove N entries" or "add N entries": what else the restore modifies */
        clause = g_strdup_printf (g_dngettext (GETTEXT_PACKAGE, "modify %u", "modify %u", modified), modified);
      else if (section == OSI_DIFF_RAG)
        clause = g_strdup_printf (g_dngettext (GETTEXT_PACKAGE, "modify %u entry", "modify %u entries", modified),
                                  modified);
      else if (section == OSI_DIFF_CONFIG)
        clause = g_strdup_printf (g_dngettext (GETTEXT_PACKAGE, "modify %u configuration file",
                                               "modify %u configuration files", modified), modified);
      else
        clause = g_strdup_printf (g_dngettext (GETTEXT_PACKAGE, "modify %u data file", "modify %u data files",
                                               modified), modified);
      g_ptr_array_add (clauses, clause);
    }

  switch (clauses->len)
    {
    case 0:
      return NULL;
    case 1:
      /* Translators: %s is "remove 12 entries", "add 3 configuration files"… */
      return g_strdup_printf (_("This restore will %s."), (char *)clauses->pdata[0]);
    case 2:
      /* Translators: "This restore will remove 12 entries and add 3." */
      return g_strdup_printf (_("This restore will %s and %s."), (char *)clauses->pdata[0],
                              (char *)clauses->pdata[1]);
    default:
      /* Translators: "This restore will remove 12 entries, add 3 and modify 40." */
      return g_strdup_printf (_("This restore will %s, %s and %s."), (char *)clauses->pdata[0],
                              (char *)clauses->pdata[1], (char *)clauses->pdata[2]);
    }
}

char *
osi_diff_describe_restore (OsiDiff *self)
{
  g_autoptr(GString) text = g_string_new (NULL);

  g_return_val_if_fail (OSI_IS_DIFF (self), NULL);

  if (osi_diff_is_empty (self))
    return g_strdup (_("This restore will change nothing: the backup holds the same data as now."));

  for (guint s = 0; s < OSI_N_DIFF_SECTIONS; s++)
    {
      g_autofree char *sentence = describe_section (self, s);

      if (sentence == NULL && s == OSI_DIFF_RAG)
        sentence = g_strdup (_("This restore will not change the knowledge base."));
      if (sentence == NULL)
        continue;
      if (text->len > 0)
        g_string_append_c (text, ' ');
      g_string_append (text, sentence);
    }
  return g_string_free (g_steal_pointer (&text), FALSE);
}
