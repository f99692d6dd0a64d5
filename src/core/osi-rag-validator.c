/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "osi-core"

#include "config.h"

#include <string.h>

#include <glib/gi18n-lib.h>

#ifdef __SSE2__
#include <emmintrin.h>
#endif

#include "osi-json-scan-private.h"
#include "osi-rag-validator-private.h"

/* Knowledge bases run to hundreds of megabytes and are checked while they
 * are being decompressed, so this is a resumable state machine over the raw
 * bytes: no tree, no token buffer, a fixed stack, and string bodies (most of
 * the data) are skipped in bulk. */

/* The schema of a knowledge base (docs/archive-format.md §6), as tables
 * that the state machine walks; kept here, where the compiler sees them. */

#define FIELD(n, t, o, a, m) { n, sizeof (n) - 1, t, o, a, m }
#define ELEMENT(t, o, a, m)  { NULL, 0, t, o, a, m }
#define END_OF_FIELDS        ELEMENT (0, 0, 0, 0)

static const FieldSpec any_spec = ELEMENT (T_ANY, K_ANY, K_ANY, TM_NONE);
static const FieldSpec root_spec = ELEMENT (T_OBJECT, K_ROOT, K_ANY, TM_ROOT_OBJECT);
static const FieldSpec entry_spec = ELEMENT (T_OBJECT, K_ENTRY, K_ANY, TM_ENTRY_OBJECT);

static const FieldSpec entry_fields[] = {
  FIELD ("name", T_STRING, K_ANY, K_ANY, TM_STRING),
  FIELD ("description", T_STRING, K_ANY, K_ANY, TM_STRING),
  FIELD ("search", T_STRING, K_ANY, K_ANY, TM_STRING),
  FIELD ("keywords", T_ARRAY | T_STRING, K_ANY, K_KEYWORDS, TM_ARRAY_OR_STRING),
  FIELD ("links", T_ARRAY | T_STRING, K_ANY, K_LINKS, TM_ARRAY_OR_STRING),
  FIELD ("details", T_OBJECT, K_DETAILS, K_ANY, TM_OBJECT),
  END_OF_FIELDS
};

static const FieldSpec details_fields[] = {
  FIELD ("Name", T_STRING, K_ANY, K_ANY, TM_STRING),
  FIELD ("Label", T_STRING, K_ANY, K_ANY, TM_STRING),
  FIELD ("Messages", T_ARRAY, K_ANY, K_MESSAGES, TM_ARRAY),
  END_OF_FIELDS
};

static const FieldSpec message_fields[] = {
  FIELD ("Label", T_STRING | T_NULL, K_ANY, K_ANY, TM_STRING_OR_NULL),
  FIELD ("Description", T_STRING | T_NULL, K_ANY, K_ANY, TM_STRING_OR_NULL),
  FIELD ("Bubbles", T_ARRAY, K_ANY, K_BUBBLES, TM_ARRAY),
  FIELD ("Buttons", T_ARRAY, K_ANY, K_BUTTONS, TM_ARRAY),
  FIELD ("Actions", T_ARRAY, K_ANY, K_ANY, TM_ARRAY),
  FIELD ("Cards", T_ARRAY, K_ANY, K_ANY, TM_ARRAY),
  FIELD ("OpenQuestion", T_BOOL | T_STRING | T_NULL, K_ANY, K_ANY, TM_BOOL_STRING_OR_NULL),
  FIELD ("OpenQuestionLink", T_STRING | T_NULL, K_ANY, K_ANY, TM_STRING_OR_NULL),
  END_OF_FIELDS
};

static const FieldSpec bubble_fields[] = {
  FIELD ("Text", T_STRING | T_NULL, K_ANY, K_ANY, TM_STRING_OR_NULL),
  FIELD ("Image", T_STRING | T_NULL, K_ANY, K_ANY, TM_STRING_OR_NULL),
  FIELD ("Video", T_STRING | T_NULL, K_ANY, K_ANY, TM_STRING_OR_NULL),
  FIELD ("Order", T_NUMBER, K_ANY, K_ANY, TM_NUMBER),
  END_OF_FIELDS
};

static const FieldSpec button_fields[] = {
  FIELD ("Label", T_STRING | T_NULL, K_ANY, K_ANY, TM_STRING_OR_NULL),
  FIELD ("Link", T_STRING | T_NULL, K_ANY, K_ANY, TM_STRING_OR_NULL),
  FIELD ("Type", T_STRING | T_NULL, K_ANY, K_ANY, TM_STRING_OR_NULL),
  FIELD ("Order", T_NUMBER, K_ANY, K_ANY, TM_NUMBER),
  END_OF_FIELDS
};

/* Indexed by Kind: the members of an object kind, the elements of an array
 * kind, and which members must all be present when the object closes. */
static const FieldSpec *const kind_fields[N_KINDS] = {
  [K_ENTRY] = entry_fields,
  [K_DETAILS] = details_fields,
  [K_MESSAGE] = message_fields,
  [K_BUBBLE] = bubble_fields,
  [K_BUTTON] = button_fields,
};

static const FieldSpec kind_elements[N_KINDS] = {
  [K_ANY] = ELEMENT (T_ANY, K_ANY, K_ANY, TM_NONE),
  [K_KEYWORDS] = ELEMENT (T_STRING, K_ANY, K_ANY, TM_STRING),
  [K_LINKS] = ELEMENT (T_STRING | T_OBJECT, K_ANY, K_ANY, TM_STRING_OR_OBJECT),
  [K_MESSAGES] = ELEMENT (T_OBJECT, K_MESSAGE, K_ANY, TM_OBJECT),
  [K_BUBBLES] = ELEMENT (T_OBJECT, K_BUBBLE, K_ANY, TM_OBJECT),
  [K_BUTTONS] = ELEMENT (T_OBJECT, K_BUTTON, K_ANY, TM_OBJECT),
};

static const guint8 kind_required[N_KINDS] = {
  [K_ENTRY] = 0x3f,
  [K_DETAILS] = 0x07,
};

static inline gboolean
is_digit (guint8 c)
{
  return c >= '0' && c <= '9';
}

static inline int
hex_value (guint8 c)
{
  if (c >= '0' && c <= '9')
    return c - '0';
  c |= 0x20;
  if (c >= 'a' && c <= 'f')
    return c - 'a' + 10;
  return -1;
}

#ifdef __SSE2__
static inline guint32
mask32 (__m128i lo,
        __m128i hi)
{
  return (guint32) _mm_movemask_epi8 (lo) | ((guint32) _mm_movemask_epi8 (hi) << 16);
}

/* Bytes compare as signed here, so for t >= 0x80 these select exactly the
 * non-ASCII bytes below t, and never an ASCII byte. */
#define BELOW(t) mask32 (_mm_cmplt_epi8 (lo, _mm_set1_epi8 ((char) (t))), \
                         _mm_cmplt_epi8 (hi, _mm_set1_epi8 ((char) (t))))
#define EQUAL(t) mask32 (_mm_cmpeq_epi8 (lo, _mm_set1_epi8 ((char) (t))), \
                         _mm_cmpeq_epi8 (hi, _mm_set1_epi8 ((char) (t))))

static inline guint64
continuations (guint32 lead2,
               guint32 lead3,
               guint32 lead4)
{
  guint64 l2 = lead2, l3 = lead3, l4 = lead4;

  return (l2 << 1) | (l3 << 1) | (l3 << 2) | (l4 << 1) | (l4 << 2) | (l4 << 3);
}

/* Validates the UTF-8 in the first `stop` bytes of a 32-byte window and
 * returns how many of them form complete, valid characters, or -1 when the
 * window holds an error (the scalar path then pinpoints it). Accented text
 * has a non-ASCII byte every few dozen; stopping at each one costs more than
 * checking a whole window with bit masks (Unicode Table 3-7). */
static inline int
utf8_window (__m128i lo,
             __m128i hi,
             guint32 high,
             guint   stop)
{
  guint32 window = stop == 32 ? G_MAXUINT32 : (1u << stop) - 1;
  guint32 cont = BELOW (0xc0);
  guint32 below_c2 = BELOW (0xc2);
  guint32 below_e0 = BELOW (0xe0);
  guint32 lead2 = below_e0 & ~below_c2;
  guint32 lead3 = 0, lead4 = 0, invalid = below_c2 & ~cont, bad = 0;
  guint32 leads, kept;
  guint64 need;
  guint k = stop;

  if ((high & ~below_e0 & window) != 0)
    {
      guint32 below_f0 = BELOW (0xf0);
      guint32 below_f5 = BELOW (0xf5);
      guint32 below_a0 = BELOW (0xa0);
      guint32 below_90 = BELOW (0x90);

      lead3 = below_f0 & ~below_e0;
      lead4 = below_f5 & ~below_f0;
      invalid |= high & ~below_f5;
      /* Second bytes that would make an overlong form, a surrogate or a
       * code point above U+10FFFF. */
      bad = ((EQUAL (0xe0) << 1) & below_a0)
            | ((EQUAL (0xed) << 1) & ~below_a0)
            | ((EQUAL (0xf0) << 1) & below_90)
            | ((EQUAL (0xf4) << 1) & ~below_90);
    }

  leads = (lead2 | lead3 | lead4) & window;
  need = continuations (lead2 & window, lead3 & window, lead4 & window);
  if ((need >> stop) != 0)
    {
      /* The last character runs past the window: leave it for later. */
      k = 31 - __builtin_clz (leads);
      if (k == 0)
        return 0;
      kept = (1u << k) - 1;
      need = continuations (lead2 & kept, lead3 & kept, lead4 & kept);
    }
  else
    kept = window;

  if ((cont & kept) != need || ((invalid | bad) & kept) != 0)
    return -1;

  return (int) k;
}
#endif

/* Returns the first byte at or after p that ends a run of plain string
 * content: '"', '\\', a control character, or a non-ASCII byte that the bulk
 * check could not settle. */
static inline const guint8 *
scan_plain (const guint8 *p,
            const guint8 *end)
{
#ifdef __SSE2__
  const __m128i quote = _mm_set1_epi8 ('"');
  const __m128i backslash = _mm_set1_epi8 ('\\');
  const __m128i control = _mm_set1_epi8 (0x1f);

  while (end - p >= 32)
    {
      __m128i lo = _mm_loadu_si128 ((const __m128i *) p);
      __m128i hi = _mm_loadu_si128 ((const __m128i *) (p + 16));
      /* Unsigned v <= 0x1f, as max (v, 0x1f) == 0x1f. */
      guint32 special = mask32 (_mm_or_si128 (_mm_or_si128 (_mm_cmpeq_epi8 (lo, quote),
                                                            _mm_cmpeq_epi8 (lo, backslash)),
                                              _mm_cmpeq_epi8 (_mm_max_epu8 (lo, control), control)),
                                _mm_or_si128 (_mm_or_si128 (_mm_cmpeq_epi8 (hi, quote),
                                                            _mm_cmpeq_epi8 (hi, backslash)),
                                              _mm_cmpeq_epi8 (_mm_max_epu8 (hi, control), control)));
      guint32 high;
      guint stop;
      int k;

      if (G_LIKELY (special == 0))
        {
          /* Inside a string, most windows of French text hold only ASCII and
           * two-byte characters: settle those in vector registers, without
           * a branch on where the accents fall. A window passes when each
           * continuation byte follows a lead byte C2..DF and no other byte
           * is non-ASCII. */
          __m128i cont_lo = _mm_cmplt_epi8 (lo, _mm_set1_epi8 ((char) 0xc0));
          __m128i cont_hi = _mm_cmplt_epi8 (hi, _mm_set1_epi8 ((char) 0xc0));
          __m128i lead_lo = _mm_and_si128 (_mm_cmpgt_epi8 (lo, _mm_set1_epi8 ((char) 0xc1)),
                                           _mm_cmplt_epi8 (lo, _mm_set1_epi8 ((char) 0xe0)));
          __m128i lead_hi = _mm_and_si128 (_mm_cmpgt_epi8 (hi, _mm_set1_epi8 ((char) 0xc1)),
                                           _mm_cmplt_epi8 (hi, _mm_set1_epi8 ((char) 0xe0)));
          __m128i other_lo = _mm_andnot_si128 (_mm_or_si128 (cont_lo, lead_lo),
                                               _mm_cmplt_epi8 (lo, _mm_setzero_si128 ()));
          __m128i other_hi = _mm_andnot_si128 (_mm_or_si128 (cont_hi, lead_hi),
                                               _mm_cmplt_epi8 (hi, _mm_setzero_si128 ()));
          __m128i err_lo = _mm_or_si128 (_mm_xor_si128 (cont_lo, _mm_slli_si128 (lead_lo, 1)), other_lo);
          __m128i err_hi = _mm_or_si128 (_mm_xor_si128 (cont_hi,
                                                        _mm_or_si128 (_mm_slli_si128 (lead_hi, 1),
                                                                      _mm_srli_si128 (lead_lo, 15))),
                                         other_hi);

          if (G_LIKELY ((mask32 (err_lo, err_hi) | (_mm_movemask_epi8 (lead_hi) & 0x8000)) == 0))
            {
              p += 32;
              continue;
            }
          stop = 32;
        }
      else
        stop = (guint) __builtin_ctz (special);

      high = mask32 (lo, hi);
      if (stop < 32 && (high & ((1u << stop) - 1)) == 0)
        return p + stop;

      k = utf8_window (lo, hi, high, stop);
      if (k < 0)
        return p + __builtin_ctz (high);
      p += k;
      if ((guint) k == stop && stop < 32)
        return p;
      if (k == 0)
        return p;
    }
#else
  /* Eight bytes at a time with the classic SWAR "has byte" tricks. */
  while (end - p >= 8)
    {
      guint64 v, q, s, t;

      memcpy (&v, p, sizeof v);
      q = v ^ G_GUINT64_CONSTANT (0x2222222222222222);
      s = v ^ G_GUINT64_CONSTANT (0x5c5c5c5c5c5c5c5c);
      t = ((q - G_GUINT64_CONSTANT (0x0101010101010101)) & ~q)
          | ((s - G_GUINT64_CONSTANT (0x0101010101010101)) & ~s)
          | ((v - G_GUINT64_CONSTANT (0x2020202020202020)) & ~v)
          | v;
      if ((t & G_GUINT64_CONSTANT (0x8080808080808080)) != 0)
        break;
      p += 8;
    }
#endif

  while (p < end && *p >= 0x20 && *p < 0x80 && *p != '"' && *p != '\\')
    p++;

  return p;
}

static void
key_append (OsiRagValidator *self,
            const guint8    *bytes,
            gsize            len)
{
  gsize room;

  if (len == 0)
    return;

  /* A high surrogate escape not followed by a low one is kept as U+FFFD so
   * that the retained name stays valid UTF-8. */
  if (G_UNLIKELY (self->pending_high != 0))
    {
      self->pending_high = 0;
      key_append (self, (const guint8 *) "\xef\xbf\xbd", 3);
    }

  room = KEY_CAP - self->key_len;
  if (len > room)
    {
      self->key_overflow = TRUE;
      len = room;
    }
  memcpy (self->key + self->key_len, bytes, len);
  self->key_len += len;
}

static void
key_flush (OsiRagValidator *self)
{
  if (self->pending_high != 0)
    {
      self->pending_high = 0;
      key_append (self, (const guint8 *) "\xef\xbf\xbd", 3);
    }
}

static void
key_append_unichar (OsiRagValidator *self,
                    gunichar         c)
{
  char buf[6];
  int len;

  if (c >= 0xd800 && c <= 0xdbff)
    {
      key_flush (self);
      self->pending_high = c;
      return;
    }

  if (c >= 0xdc00 && c <= 0xdfff)
    {
      if (self->pending_high != 0)
        {
          c = 0x10000 + ((self->pending_high - 0xd800) << 10) + (c - 0xdc00);
          self->pending_high = 0;
        }
      else
        c = 0xfffd;
    }
  else if (c == 0)
    c = 0xfffd;

  len = g_unichar_to_utf8 (c, buf);
  key_append (self, (const guint8 *) buf, len);
}

static int
lookup_field (const FieldSpec *fields,
              const guint8    *key,
              gsize            len)
{
  for (int i = 0; fields[i].name != NULL; i++)
    {
      gsize j;

      /* Names are short: a byte loop beats a call to memcmp. */
      if (fields[i].name_len != len || (guint8) fields[i].name[0] != key[0])
        continue;
      for (j = 1; j < len && (guint8) fields[i].name[j] == key[j]; j++)
        ;
      if (j == len)
        return i;
    }

  return -1;
}

OsiRagValidator *
osi_rag_validator_new (void)
{
  OsiRagValidator *self = g_new0 (OsiRagValidator, 1);

  self->state = ST_VALUE;
  self->cur_field = &any_spec;

  return self;
}

void
osi_rag_validator_free (OsiRagValidator *self)
{
  if (self == NULL)
    return;

  g_free (self->message);
  g_free (self);
}

/* Where a feed stands, shared by the state handlers below: each takes the
 * bytes from p, leaves p past what it used and returns the state to go on
 * in, or STEP_OUT (the bytes are used up: resume in this state next time)
 * or STEP_FAIL (self->message says why). Only osi_rag_validator_feed ()
 * takes its address, and the handlers are inlined there, so these stay in
 * registers: loads through the guint8 input pointer could otherwise alias
 * them and force reloads in the hot loops. */
typedef struct
{
  const guint8 *data;
  const guint8 *p;
  const guint8 *end;
  guint         u8_need;
  guint8        u8_lo;
  guint8        u8_hi;
  /* Start of the key being read when it began in this buffer and has had no
   * escape so far, so that it can be matched without a copy. */
  const guint8 *key_begin;
} Cursor;

#define FAIL_JSON(reason) \
  G_STMT_START { \
    _osi_rag_validator_set_json_error (self, self->offset + (guint64) (p - cur->data), (reason)); \
    return STEP_FAIL; \
  } G_STMT_END

#define CHECK_TYPE(spec, type) \
  G_STMT_START { \
    if (G_UNLIKELY (((spec)->types & (type)) == 0)) \
      { \
        _osi_rag_validator_set_type_error (self, (spec)); \
        return STEP_FAIL; \
      } \
  } G_STMT_END

/* Leaves the cursor at p and goes on in `next`. */
static inline State
step_to (Cursor       *cur,
         const guint8 *p,
         State         next)
{
  cur->p = p;
  return next;
}

/* After a whole value: the next member or element, or the end. */
static inline State
value_done (OsiRagValidator *self)
{
  return self->depth == 0 ? ST_DONE : ST_AFTER_VALUE;
}

/* The '}' of an object has been read: every required member must have
 * been seen. */
static inline State
close_object (OsiRagValidator *self)
{
  Frame *top = &self->frames[self->depth - 1];
  guint8 required = kind_required[top->kind];

  if (G_UNLIKELY ((top->seen & required) != required))
    {
      const FieldSpec *fields = kind_fields[top->kind];

      for (guint i = 0; fields[i].name != NULL; i++)
        {
          if ((required & (1u << i)) != 0 && (top->seen & (1u << i)) == 0)
            {
              _osi_rag_validator_set_missing_error (self, fields[i].name);
              return STEP_FAIL;
            }
        }
    }
  self->depth--;
  return value_done (self);
}

static inline State
step_array_first (OsiRagValidator *self,
                  Cursor          *cur)
{
  const guint8 *p = skip_ws (cur->p, cur->end);

  if (p == cur->end)
    return step_to (cur, p, STEP_OUT);
  if (*p == ']')
    {
      self->depth--;
      return step_to (cur, p + 1, value_done (self));
    }
  return step_to (cur, p, ST_VALUE);
}

/* A '{' or '[' whose type has been checked: one level deeper. */
static inline State
open_container (OsiRagValidator *self,
                Cursor          *cur,
                const guint8    *p,
                const FieldSpec *spec)
{
  Frame *top;

  if (G_UNLIKELY (self->depth == MAX_DEPTH))
    {
      g_autofree char *reason =
        g_strdup_printf (g_dngettext (GETTEXT_PACKAGE,
                                      "nested deeper than %d level",
                                      "nested deeper than %d levels",
                                      MAX_DEPTH),
                         MAX_DEPTH);
      FAIL_JSON (reason);
    }
  top = &self->frames[self->depth];
  top->name = (self->depth > 0 && !self->frames[self->depth - 1].is_array) ? spec->name : NULL;
  top->count = 0;
  top->seen = 0;
  top->is_array = (*p == '[');
  top->kind = top->is_array ? spec->arr_kind : spec->obj_kind;
  self->depth++;
  return step_to (cur, p + 1, top->is_array ? ST_ARRAY_FIRST : ST_OBJECT_FIRST);
}

/* The first byte of a value: its type against the schema, then the state
 * that reads the rest. */
static inline State
step_value (OsiRagValidator *self,
            Cursor          *cur)
{
  const guint8 *p = skip_ws (cur->p, cur->end);
  const FieldSpec *spec;
  guint8 c;

  if (p == cur->end)
    return step_to (cur, p, STEP_OUT);

  if (self->depth == 0)
    spec = &root_spec;
  else
    {
      Frame *top = &self->frames[self->depth - 1];

      if (top->is_array)
        {
          top->count++;
          spec = &kind_elements[top->kind];
        }
      else
        spec = self->cur_field;
    }

  c = *p;
  switch (c)
    {
    case '"':
      CHECK_TYPE (spec, T_STRING);
      self->in_key = FALSE;
      self->capture = FALSE;
      return step_to (cur, p + 1, ST_STRING);

    case '{':
    case '[':
      CHECK_TYPE (spec, c == '{' ? T_OBJECT : T_ARRAY);
      return open_container (self, cur, p, spec);

    case 't':
    case 'f':
    case 'n':
      CHECK_TYPE (spec, c == 'n' ? T_NULL : T_BOOL);
      self->literal = c == 't' ? "true" : c == 'f' ? "false" : "null";
      self->literal_pos = 0;
      return step_to (cur, p, ST_LITERAL);

    case '-':
    case '0': case '1': case '2': case '3': case '4':
    case '5': case '6': case '7': case '8': case '9':
      CHECK_TYPE (spec, T_NUMBER);
      self->num_state = N_START;
      return step_to (cur, p, ST_NUMBER);

    default:
      if (c == 0xef && self->offset + (guint64) (p - cur->data) == 0)
        FAIL_JSON (_("a byte order mark is not allowed"));
      FAIL_JSON (_("expected a value"));
    }
}

static inline State
step_object_first (OsiRagValidator *self,
                   Cursor          *cur)
{
  const guint8 *p = skip_ws (cur->p, cur->end);

  if (p == cur->end)
    return step_to (cur, p, STEP_OUT);
  if (*p == '}')
    return step_to (cur, p + 1, close_object (self));
  return step_to (cur, p, ST_KEY);
}

/* The opening quote of a member name. */
static inline State
step_key (OsiRagValidator *self,
          Cursor          *cur)
{
  const guint8 *p = skip_ws (cur->p, cur->end);

  if (p == cur->end)
    return step_to (cur, p, STEP_OUT);
  if (*p != '"')
    FAIL_JSON (_("expected a member name"));
  p++;
  self->in_key = TRUE;
  self->capture = self->frames[self->depth - 1].kind != K_ANY;
  cur->key_begin = NULL;
  if (self->capture)
    {
      self->key_len = 0;
      self->key_overflow = FALSE;
      self->pending_high = 0;
      cur->key_begin = p;
    }
  return step_to (cur, p, ST_STRING);
}

static inline State
step_colon (OsiRagValidator *self,
            Cursor          *cur)
{
  const guint8 *p = skip_ws (cur->p, cur->end);

  if (p == cur->end)
    return step_to (cur, p, STEP_OUT);
  if (*p != ':')
    FAIL_JSON (_("expected “:”"));
  return step_to (cur, p + 1, ST_VALUE);
}

/* A ',' or the end of the array or object the value was in. */
static inline State
step_after_value (OsiRagValidator *self,
                  Cursor          *cur)
{
  const guint8 *p = skip_ws (cur->p, cur->end);
  const Frame *top;
  guint8 c;

  if (p == cur->end)
    return step_to (cur, p, STEP_OUT);
  top = &self->frames[self->depth - 1];
  c = *p;
  if (c == ',')
    return step_to (cur, p + 1, top->is_array ? ST_VALUE : ST_KEY);
  if (top->is_array)
    {
      if (c != ']')
        FAIL_JSON (_("expected “,” or “]”"));
      self->depth--;
      return step_to (cur, p + 1, value_done (self));
    }
  if (c != '}')
    FAIL_JSON (_("expected “,” or “}”"));
  return step_to (cur, p + 1, close_object (self));
}

/* After the top-level value: only whitespace. */
static inline State
step_done (OsiRagValidator *self,
           Cursor          *cur)
{
  const guint8 *p = skip_ws (cur->p, cur->end);

  if (p < cur->end)
    FAIL_JSON (_("unexpected data after the top-level value"));
  return step_to (cur, p, STEP_OUT);
}

/* The closing quote of a member name is at `quote`: the name is matched
 * against the members of its object, or kept as the entry's name. */
static inline State
key_done (OsiRagValidator *self,
          Cursor          *cur,
          const guint8    *run,
          const guint8    *quote)
{
  const guint8 *key_text;
  gsize key_size;
  gboolean key_cut;
  Frame *top;

  if (cur->key_begin != NULL)
    {
      /* The whole key is in this buffer and has no escape: match it where
       * it lies. */
      key_text = cur->key_begin;
      key_size = MIN ((gsize) (quote - cur->key_begin), KEY_CAP);
      key_cut = (gsize) (quote - cur->key_begin) > KEY_CAP;
    }
  else
    {
      if (self->capture)
        {
          key_append (self, run, quote - run);
          key_flush (self);
        }
      key_text = (const guint8 *) self->key;
      key_size = self->key_len;
      key_cut = self->key_overflow;
    }

  top = &self->frames[self->depth - 1];
  self->cur_field = &any_spec;
  if (top->kind == K_ROOT)
    {
      _osi_rag_validator_remember_entry_name (self, key_text, key_size, key_cut);
      self->entries++;
      self->cur_field = &entry_spec;
    }
  else if (self->capture && !key_cut && key_size > 0)
    {
      int index = lookup_field (kind_fields[top->kind], key_text, key_size);

      if (index >= 0)
        {
          self->cur_field = &kind_fields[top->kind][index];
          top->seen |= 1u << index;
        }
    }
  return ST_COLON;
}

/* Unicode Table 3-7: the lead byte c of a sequence of three or four bytes,
 * or of two at the end of the buffer, fixes how many continuation bytes
 * follow and the range of the first, which excludes overlong forms,
 * surrogates and code points above U+10FFFF. FALSE if c leads none. */
static inline gboolean
utf8_lead (guint8  c,
           guint  *need,
           guint8 *lo,
           guint8 *hi)
{
  if (c >= 0xc2 && c <= 0xdf)
    *need = 1, *lo = 0x80, *hi = 0xbf;
  else if (c == 0xe0)
    *need = 2, *lo = 0xa0, *hi = 0xbf;
  else if (c == 0xed)
    *need = 2, *lo = 0x80, *hi = 0x9f;
  else if (c >= 0xe1 && c <= 0xef)
    *need = 2, *lo = 0x80, *hi = 0xbf;
  else if (c == 0xf0)
    *need = 3, *lo = 0x90, *hi = 0xbf;
  else if (c >= 0xf1 && c <= 0xf3)
    *need = 3, *lo = 0x80, *hi = 0xbf;
  else if (c == 0xf4)
    *need = 3, *lo = 0x80, *hi = 0x8f;
  else
    return FALSE;
  return TRUE;
}

/* Inside a string, a value or a member name, up to its closing quote or a
 * backslash; plain runs are skipped in bulk and their UTF-8 checked. */
static inline State
step_string (OsiRagValidator *self,
             Cursor          *cur)
{
  const guint8 *p = cur->p;
  const guint8 *end = cur->end;
  const guint8 *run = p;
  guint u8_need = cur->u8_need;
  guint8 u8_lo = cur->u8_lo;
  guint8 u8_hi = cur->u8_hi;
  guint8 c;

  /* A character split across two feeds resumes inside the loop below. */
  if (G_UNLIKELY (u8_need != 0))
    {
      cur->u8_need = 0;
      goto utf8_continuation;
    }

  for (;;)
    {
      p = scan_plain (p, end);
      if (G_UNLIKELY (p == end))
        break;

      c = *p;
      if (c == '"')
        {
          if (!self->in_key)
            return step_to (cur, p + 1, value_done (self));
          return step_to (cur, p + 1, key_done (self, cur, run, p));
        }
      if (c == '\\')
        {
          if (self->capture)
            key_append (self, run, p - run);
          cur->key_begin = NULL;
          return step_to (cur, p + 1, ST_ESCAPE);
        }
      if (c < 0x20)
        FAIL_JSON (_("unescaped control character in a string"));

      /* Two-byte sequences carry most accented Latin letters. */
      if (c >= 0xc2 && c <= 0xdf && G_LIKELY (end - p >= 2))
        {
          if (G_UNLIKELY ((p[1] & 0xc0) != 0x80))
            {
              p++;
              FAIL_JSON (_("invalid UTF-8"));
            }
          p += 2;
          continue;
        }
      if (!utf8_lead (c, &u8_need, &u8_lo, &u8_hi))
        FAIL_JSON (_("invalid UTF-8"));
      p++;

utf8_continuation:
      while (u8_need > 0)
        {
          if (p == end)
            {
              cur->u8_need = u8_need;
              cur->u8_lo = u8_lo;
              cur->u8_hi = u8_hi;
              goto out;
            }
          if (*p < u8_lo || *p > u8_hi)
            FAIL_JSON (_("invalid UTF-8"));
          u8_lo = 0x80;
          u8_hi = 0xbf;
          u8_need--;
          p++;
        }
    }

out:
  if (self->capture)
    key_append (self, run, p - run);
  return step_to (cur, p, STEP_OUT);
}

/* The character after a backslash in a string. */
static inline State
step_escape (OsiRagValidator *self,
             Cursor          *cur)
{
  const guint8 *p = cur->p;
  const guint8 *end = cur->end;
  guint8 escaped;

  if (p == end)
    return step_to (cur, p, STEP_OUT);
  escaped = *p;
  switch (escaped)
    {
    case '"': case '\\': case '/':
      break;
    case 'b': escaped = '\b'; break;
    case 'f': escaped = '\f'; break;
    case 'n': escaped = '\n'; break;
    case 'r': escaped = '\r'; break;
    case 't': escaped = '\t'; break;
    case 'u':
      p++;
      /* Knowledge bases written with ASCII-only output escape every accent,
       * so the common whole escape skips the resumable loop. */
      if (G_LIKELY (end - p >= 4))
        {
          int h0 = hex_value (p[0]), h1 = hex_value (p[1]);
          int h2 = hex_value (p[2]), h3 = hex_value (p[3]);

          if ((h0 | h1 | h2 | h3) >= 0)
            {
              if (self->capture)
                key_append_unichar (self, (gunichar) ((h0 << 12) | (h1 << 8) | (h2 << 4) | h3));
              return step_to (cur, p + 4, ST_STRING);
            }
        }
      self->uni_count = 0;
      self->uni_code = 0;
      return step_to (cur, p, ST_UNICODE);
    default:
      FAIL_JSON (_("invalid escape sequence"));
    }
  if (self->capture)
    key_append (self, &escaped, 1);
  return step_to (cur, p + 1, ST_STRING);
}

/* The four hexadecimal digits of a \u escape, one at a time. */
static inline State
step_unicode (OsiRagValidator *self,
              Cursor          *cur)
{
  const guint8 *p = cur->p;

  while (self->uni_count < 4)
    {
      int v;

      if (p == cur->end)
        return step_to (cur, p, STEP_OUT);
      v = hex_value (*p);
      if (v < 0)
        FAIL_JSON (_("invalid hexadecimal digit in a \\u escape"));
      self->uni_code = (self->uni_code << 4) | (gunichar) v;
      self->uni_count++;
      p++;
    }
  /* Lone surrogate escapes are tolerated, as by most JSON parsers. */
  if (self->capture)
    key_append_unichar (self, self->uni_code);
  return step_to (cur, p, ST_STRING);
}

/* A number, with its own resumable grammar in self->num_state. */
static inline State
step_number (OsiRagValidator *self,
             Cursor          *cur)
{
  const guint8 *p = cur->p;
  const guint8 *end = cur->end;
  guint8 c;

  for (;;)
    {
      if (p == end)
        return step_to (cur, p, STEP_OUT);
      c = *p;
      switch (self->num_state)
        {
        case N_START:
          if (c == '-')
            {
              self->num_state = N_MINUS;
              p++;
              continue;
            }
          G_GNUC_FALLTHROUGH;
        case N_MINUS:
          if (c == '0')
            self->num_state = N_ZERO;
          else if (is_digit (c))
            self->num_state = N_INT;
          else
            FAIL_JSON (_("invalid number"));
          p++;
          continue;

        case N_INT:
          while (p < end && is_digit (*p))
            p++;
          if (p == end)
            continue;
          c = *p;
          G_GNUC_FALLTHROUGH;
        case N_ZERO:
          if (is_digit (c))
            FAIL_JSON (_("leading zeros are not allowed in numbers"));
          if (c == '.')
            self->num_state = N_DOT;
          else if (c == 'e' || c == 'E')
            self->num_state = N_EXP;
          else
            return step_to (cur, p, value_done (self));
          p++;
          continue;

        case N_DOT:
          if (!is_digit (c))
            FAIL_JSON (_("invalid number"));
          self->num_state = N_FRAC;
          p++;
          continue;

        case N_FRAC:
          while (p < end && is_digit (*p))
            p++;
          if (p == end)
            continue;
          if (*p == 'e' || *p == 'E')
            {
              self->num_state = N_EXP;
              p++;
              continue;
            }
          return step_to (cur, p, value_done (self));

        case N_EXP:
          if (c == '+' || c == '-')
            {
              self->num_state = N_EXP_SIGN;
              p++;
              continue;
            }
          G_GNUC_FALLTHROUGH;
        case N_EXP_SIGN:
          if (!is_digit (c))
            FAIL_JSON (_("invalid number"));
          self->num_state = N_EXP_DIGITS;
          p++;
          continue;

        case N_EXP_DIGITS:
          while (p < end && is_digit (*p))
            p++;
          if (p == end)
            continue;
          return step_to (cur, p, value_done (self));

        default:
          g_assert_not_reached ();
        }
    }
}

/* The rest of true, false or null. */
static inline State
step_literal (OsiRagValidator *self,
              Cursor          *cur)
{
  const guint8 *p = cur->p;

  while (self->literal[self->literal_pos] != '\0')
    {
      if (p == cur->end)
        return step_to (cur, p, STEP_OUT);
      if (*p != (guint8) self->literal[self->literal_pos])
        FAIL_JSON (_("invalid literal"));
      self->literal_pos++;
      p++;
    }
  return step_to (cur, p, value_done (self));
}

gboolean
osi_rag_validator_feed (OsiRagValidator *self,
                        const guint8    *data,
                        gsize            len)
{
  Cursor cur;
  State state;

  g_return_val_if_fail (self != NULL, FALSE);
  g_return_val_if_fail (data != NULL || len == 0, FALSE);
  g_return_val_if_fail (!self->finished, FALSE);

  if (self->status != OSI_RAG_OK)
    return FALSE;
  if (len == 0)
    return TRUE;

  cur.data = data;
  cur.p = data;
  cur.end = data + len;
  cur.u8_need = self->u8_need;
  cur.u8_lo = self->u8_lo;
  cur.u8_hi = self->u8_hi;
  cur.key_begin = NULL;

  state = self->state;
  for (;;)
    {
      State next;

      switch (state)
        {
        case ST_VALUE:        next = step_value (self, &cur); break;
        case ST_ARRAY_FIRST:  next = step_array_first (self, &cur); break;
        case ST_OBJECT_FIRST: next = step_object_first (self, &cur); break;
        case ST_KEY:          next = step_key (self, &cur); break;
        case ST_COLON:        next = step_colon (self, &cur); break;
        case ST_AFTER_VALUE:  next = step_after_value (self, &cur); break;
        case ST_DONE:         next = step_done (self, &cur); break;
        case ST_STRING:       next = step_string (self, &cur); break;
        case ST_ESCAPE:       next = step_escape (self, &cur); break;
        case ST_UNICODE:      next = step_unicode (self, &cur); break;
        case ST_NUMBER:       next = step_number (self, &cur); break;
        case ST_LITERAL:      next = step_literal (self, &cur); break;
        case STEP_OUT:
        case STEP_FAIL:
        default:              g_assert_not_reached ();
        }

      if (G_UNLIKELY (next == STEP_FAIL))
        return FALSE;
      if (next == STEP_OUT)
        break;
      state = next;
    }

  self->state = state;
  self->u8_need = cur.u8_need;
  self->u8_lo = cur.u8_lo;
  self->u8_hi = cur.u8_hi;
  self->offset += len;
  return TRUE;
}

OsiRagStatus
osi_rag_validator_finish (OsiRagValidator *self,
                          char           **message)
{
  g_return_val_if_fail (self != NULL, OSI_RAG_INVALID_JSON);

  if (!self->finished)
    {
      self->finished = TRUE;

      if (self->status == OSI_RAG_OK && self->state != ST_DONE)
        {
          if (self->offset == 0)
            {
              self->status = OSI_RAG_INVALID_JSON;
              self->message = g_strdup (_("The knowledge base is empty"));
            }
          else if (self->state == ST_STRING
                   || self->state == ST_ESCAPE
                   || self->state == ST_UNICODE)
            _osi_rag_validator_set_json_error (self, self->offset, _("unterminated string"));
          else
            _osi_rag_validator_set_json_error (self, self->offset, _("unexpected end of data"));
        }
    }

  if (message != NULL)
    *message = g_strdup (self->message);

  return self->status;
}

guint64
osi_rag_validator_get_entry_count (OsiRagValidator *self)
{
  g_return_val_if_fail (self != NULL, 0);

  return self->entries;
}
