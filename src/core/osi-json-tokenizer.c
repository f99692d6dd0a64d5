/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "osi-core"

#include "config.h"

#include <string.h>

#include <glib/gi18n-lib.h>

#ifdef __SSE2__
#include <emmintrin.h>
#endif

#include "osi-json-scan-private.h"
#include "osi-json-tokenizer.h"

/* Knowledge bases run to hundreds of megabytes and are read while they are
 * being decompressed, so this is a resumable state machine over the raw
 * bytes: each state is a small function that takes what it can from the
 * chunk and says which state comes next, or returns a token. String bodies
 * (most of the data) are scanned and checked in bulk, and given to the
 * caller where they lie when they hold no escape. */

typedef enum
{
  ST_VALUE,
  ST_ARRAY_FIRST,
  ST_OBJECT_FIRST,
  ST_KEY,
  ST_COLON,
  ST_AFTER_VALUE,
  ST_DONE,
  ST_STRING,
  ST_ESCAPE,
  ST_UNICODE,
  ST_NUMBER,
  ST_LITERAL,
  ST_ERROR,
} State;

typedef enum
{
  N_START,
  N_MINUS,
  N_ZERO,
  N_INT,
  N_DOT,
  N_FRAC,
  N_EXP,
  N_EXP_SIGN,
  N_EXP_DIGITS,
} NumState;

typedef enum
{
  SKIP_NONE,
  SKIP_STRING,
  SKIP_CONTAINER,
} Skip;

/* Not a token: what a state returns to go on in the state it has set. */
#define TK_CONTINUE ((OsiJsonToken) 0x7f)

/* Room an escape may take in the buffer: U+FFFD for a lone high surrogate,
 * then up to four bytes. */
#define ESCAPE_ROOM 8

G_STATIC_ASSERT (sizeof ((OsiJsonTokenizer *) NULL)->buf >= 8 * ESCAPE_ROOM);

#define COLD __attribute__ ((cold))

/* Where a pull stands; the states take and leave p here. */
typedef struct
{
  const guint8 *base;
  const guint8 *p;
  const guint8 *end;
  OsiJsonSpan  *span;
} Cursor;

static inline guint64
offset_at (const OsiJsonTokenizer *self,
           const Cursor           *cur,
           const guint8           *p)
{
  return self->offset + (guint64) (p - cur->base);
}

/* Not inlined, and given no pointer to the cursor, so that the cursor
 * never escapes the inlined states and may live in registers. */
static COLD OsiJsonToken
fail (OsiJsonTokenizer *self,
      guint64           offset,
      OsiJsonError      error)
{
  self->state = ST_ERROR;
  self->error = error;
  self->error_offset = offset;
  return OSI_JSON_TOKEN_ERROR;
}

#define FAIL(error) \
  G_STMT_START { \
    cur->p = p; \
    return fail (self, offset_at (self, cur, p), (error)); \
  } G_STMT_END

/* ------------------------------------------------------------------------ */
/* Structure                                                                */

static inline gboolean
top_is_array (const OsiJsonTokenizer *self)
{
  guint i = self->depth - 1;

  return (self->is_array[i / 32] >> (i % 32)) & 1;
}

/* After a whole value: the next member or element, or the end. */
static inline void
value_done (OsiJsonTokenizer *self)
{
  self->state = self->depth == 0 ? ST_DONE : ST_AFTER_VALUE;
}

static inline OsiJsonToken
close_container (OsiJsonTokenizer *self,
                 Cursor           *cur,
                 const guint8     *p,
                 gboolean          array)
{
  self->depth--;
  value_done (self);
  cur->p = p + 1;
  return array ? OSI_JSON_TOKEN_END_ARRAY : OSI_JSON_TOKEN_END_OBJECT;
}

/* The chunk is used up in the current state: wait for the next one, or
 * say what the end of the stream leaves unfinished. */
static COLD OsiJsonToken
end_of_stream (OsiJsonTokenizer *self,
               guint64           offset)
{
  switch (self->state)
    {
    case ST_DONE:
      return OSI_JSON_TOKEN_END;
    case ST_VALUE:
      if (self->depth == 0 && offset == 0)
        return fail (self, offset, OSI_JSON_ERROR_EMPTY);
      return fail (self, offset, OSI_JSON_ERROR_TRUNCATED);
    case ST_STRING:
    case ST_ESCAPE:
    case ST_UNICODE:
      return fail (self, offset, OSI_JSON_ERROR_UNTERMINATED_STRING);
    default:
      return fail (self, offset, OSI_JSON_ERROR_TRUNCATED);
    }
}

static inline OsiJsonToken
out_of_bytes (OsiJsonTokenizer *self,
              Cursor           *cur,
              const guint8     *p)
{
  cur->p = p;
  if (G_LIKELY (!self->finished))
    return OSI_JSON_TOKEN_NEED_MORE;
  return end_of_stream (self, offset_at (self, cur, p));
}

/* The first byte of a value. */
static inline OsiJsonToken
step_value (OsiJsonTokenizer *self,
            Cursor           *cur)
{
  const guint8 *p = skip_ws (cur->p, cur->end);
  guint8 c;

  if (p == cur->end)
    return out_of_bytes (self, cur, p);

  c = *p;
  switch (c)
    {
    case '"':
      self->in_key = FALSE;
      self->state = ST_STRING;
      cur->p = p + 1;
      return TK_CONTINUE;

    case '{':
    case '[':
      {
        guint i = self->depth;

        if (G_UNLIKELY (i == self->max_depth))
          FAIL (OSI_JSON_ERROR_TOO_DEEP);
        if (c == '[')
          self->is_array[i / 32] |= 1u << (i % 32);
        else
          self->is_array[i / 32] &= ~(1u << (i % 32));
        self->depth++;
        cur->p = p + 1;
        if (c == '[')
          {
            self->state = ST_ARRAY_FIRST;
            return OSI_JSON_TOKEN_BEGIN_ARRAY;
          }
        self->state = ST_OBJECT_FIRST;
        return OSI_JSON_TOKEN_BEGIN_OBJECT;
      }

    case 't':
    case 'f':
    case 'n':
      self->literal = c == 't' ? "true" : c == 'f' ? "false" : "null";
      self->literal_pos = 1;
      self->state = ST_LITERAL;
      cur->p = p + 1;
      return TK_CONTINUE;

    case '-':
    case '0': case '1': case '2': case '3': case '4':
    case '5': case '6': case '7': case '8': case '9':
      self->num_state = N_START;
      self->number_len = 0;
      self->state = ST_NUMBER;
      cur->p = p;
      return TK_CONTINUE;

    default:
      if (c == 0xef && offset_at (self, cur, p) == 0)
        FAIL (OSI_JSON_ERROR_BYTE_ORDER_MARK);
      FAIL (OSI_JSON_ERROR_EXPECTED_VALUE);
    }
}

static inline OsiJsonToken
step_array_first (OsiJsonTokenizer *self,
                  Cursor           *cur)
{
  const guint8 *p = skip_ws (cur->p, cur->end);

  if (p == cur->end)
    return out_of_bytes (self, cur, p);
  if (*p == ']')
    return close_container (self, cur, p, TRUE);
  self->state = ST_VALUE;
  cur->p = p;
  return TK_CONTINUE;
}

static inline OsiJsonToken
step_object_first (OsiJsonTokenizer *self,
                   Cursor           *cur)
{
  const guint8 *p = skip_ws (cur->p, cur->end);

  if (p == cur->end)
    return out_of_bytes (self, cur, p);
  if (*p == '}')
    return close_container (self, cur, p, FALSE);
  self->state = ST_KEY;
  cur->p = p;
  return TK_CONTINUE;
}

/* The opening quote of a member name. */
static inline OsiJsonToken
step_key (OsiJsonTokenizer *self,
          Cursor           *cur)
{
  const guint8 *p = skip_ws (cur->p, cur->end);

  if (p == cur->end)
    return out_of_bytes (self, cur, p);
  if (*p != '"')
    FAIL (OSI_JSON_ERROR_EXPECTED_KEY);
  self->in_key = TRUE;
  self->state = ST_STRING;
  cur->p = p + 1;
  return TK_CONTINUE;
}

static inline OsiJsonToken
step_colon (OsiJsonTokenizer *self,
            Cursor           *cur)
{
  const guint8 *p = skip_ws (cur->p, cur->end);

  if (p == cur->end)
    return out_of_bytes (self, cur, p);
  if (*p != ':')
    FAIL (OSI_JSON_ERROR_EXPECTED_COLON);
  self->state = ST_VALUE;
  cur->p = p + 1;
  return TK_CONTINUE;
}

/* A ',' or the end of the array or object the value was in. */
static inline OsiJsonToken
step_after_value (OsiJsonTokenizer *self,
                  Cursor           *cur)
{
  const guint8 *p = skip_ws (cur->p, cur->end);
  gboolean array;
  guint8 c;

  if (p == cur->end)
    return out_of_bytes (self, cur, p);
  array = top_is_array (self);
  c = *p;
  if (c == ',')
    {
      self->state = array ? ST_VALUE : ST_KEY;
      cur->p = p + 1;
      return TK_CONTINUE;
    }
  if (array)
    {
      if (c != ']')
        FAIL (OSI_JSON_ERROR_EXPECTED_COMMA_OR_BRACKET);
    }
  else if (c != '}')
    FAIL (OSI_JSON_ERROR_EXPECTED_COMMA_OR_BRACE);
  return close_container (self, cur, p, array);
}

/* After the top-level value: only whitespace. */
static inline OsiJsonToken
step_done (OsiJsonTokenizer *self,
           Cursor           *cur)
{
  const guint8 *p = skip_ws (cur->p, cur->end);

  if (p < cur->end)
    FAIL (OSI_JSON_ERROR_TRAILING_DATA);
  cur->p = p;
  return OSI_JSON_TOKEN_END;
}

/* ------------------------------------------------------------------------ */
/* Strings                                                                  */

static inline OsiJsonToken
part (OsiJsonTokenizer *self,
      Cursor           *cur,
      const guint8     *data,
      gsize             len,
      gboolean          last)
{
  cur->span->data = data;
  cur->span->len = len;
  cur->span->last = last;
  return self->in_key ? OSI_JSON_TOKEN_KEY_PART : OSI_JSON_TOKEN_STRING_PART;
}

/* The decoded text so far, as a part that does not end the string. */
static inline OsiJsonToken
buffered_part (OsiJsonTokenizer *self,
               Cursor           *cur,
               const guint8     *p)
{
  gsize len = self->buf_len;

  self->buf_len = 0;
  cur->p = p;
  return part (self, cur, self->buf, len, FALSE);
}

static inline void
append (OsiJsonTokenizer *self,
        const guint8     *bytes,
        gsize             len)
{
  if (self->skipping != SKIP_NONE || len == 0)
    return;
  g_assert (self->buf_len + len <= sizeof self->buf);
  memcpy (self->buf + self->buf_len, bytes, len);
  self->buf_len += (guint) len;
}

/* c is a scalar value: no surrogate, at most U+10FFFF. */
static inline void
append_unichar (OsiJsonTokenizer *self,
                gunichar          c)
{
  guint8 *out = self->buf + self->buf_len;

  if (self->skipping != SKIP_NONE)
    return;
  g_assert (self->buf_len + 4 <= sizeof self->buf);
  if (c < 0x80)
    {
      out[0] = (guint8) c;
      self->buf_len += 1;
    }
  else if (c < 0x800)
    {
      out[0] = (guint8) (0xc0 | (c >> 6));
      out[1] = (guint8) (0x80 | (c & 0x3f));
      self->buf_len += 2;
    }
  else if (c < 0x10000)
    {
      out[0] = (guint8) (0xe0 | (c >> 12));
      out[1] = (guint8) (0x80 | ((c >> 6) & 0x3f));
      out[2] = (guint8) (0x80 | (c & 0x3f));
      self->buf_len += 3;
    }
  else
    {
      out[0] = (guint8) (0xf0 | (c >> 18));
      out[1] = (guint8) (0x80 | ((c >> 12) & 0x3f));
      out[2] = (guint8) (0x80 | ((c >> 6) & 0x3f));
      out[3] = (guint8) (0x80 | (c & 0x3f));
      self->buf_len += 4;
    }
}

/* A \u escape of a high surrogate not followed by one of a low surrogate. */
static COLD OsiJsonToken
lone_high (OsiJsonTokenizer *self)
{
  self->pending_high = 0;
  if ((self->flags & OSI_JSON_TOKENIZER_REFUSE_LONE_SURROGATES) != 0)
    return fail (self, self->pending_offset, OSI_JSON_ERROR_LONE_SURROGATE);
  append_unichar (self, 0xfffd);
  return TK_CONTINUE;
}

/* The code unit of a whole \u escape, the escape's backslash at
 * self->escape_offset. */
static inline OsiJsonToken
unicode_escape (OsiJsonTokenizer *self,
                Cursor           *cur,
                const guint8     *p,
                gunichar          c)
{
  cur->p = p;
  self->state = ST_STRING;

  if (G_UNLIKELY (self->pending_high != 0))
    {
      if (c >= 0xdc00 && c <= 0xdfff)
        {
          c = 0x10000 + ((self->pending_high - 0xd800) << 10) + (c - 0xdc00);
          self->pending_high = 0;
          append_unichar (self, c);
          return TK_CONTINUE;
        }
      if (lone_high (self) == OSI_JSON_TOKEN_ERROR)
        return OSI_JSON_TOKEN_ERROR;
    }

  if (G_UNLIKELY (c >= 0xd800 && c <= 0xdfff))
    {
      if (c <= 0xdbff)
        {
          self->pending_high = c;
          self->pending_offset = self->escape_offset;
          return TK_CONTINUE;
        }
      if ((self->flags & OSI_JSON_TOKENIZER_REFUSE_LONE_SURROGATES) != 0)
        return fail (self, self->escape_offset, OSI_JSON_ERROR_LONE_SURROGATE);
      c = 0xfffd;
    }
  else if (G_UNLIKELY (c == 0) && (self->flags & OSI_JSON_TOKENIZER_REFUSE_NUL) != 0)
    return fail (self, self->escape_offset, OSI_JSON_ERROR_NUL_ESCAPE);

  append_unichar (self, c);
  return TK_CONTINUE;
}

/* Inside a string, a value or a member name, up to its closing quote or a
 * backslash; plain runs are skipped in bulk and their UTF-8 checked. A run
 * is given where it lies, unless escapes were decoded before it in this
 * part: then it is copied after them, so that a string with a few escapes
 * makes few parts. */
static inline OsiJsonToken
step_string (OsiJsonTokenizer *self,
             Cursor           *cur)
{
  const guint8 *p = cur->p;
  const guint8 *end = cur->end;
  const guint8 *lim = end;
  const guint8 *run;
  gboolean emit = self->skipping == SKIP_NONE;
  gboolean copy;
  guint u8_need = self->u8_need;
  guint8 u8_lo = self->u8_lo;
  guint8 u8_hi = self->u8_hi;
  guint8 c;

  if (G_UNLIKELY (self->pending_high != 0))
    {
      if (p == end)
        return out_of_bytes (self, cur, p);
      if (*p != '\\' && lone_high (self) == OSI_JSON_TOKEN_ERROR)
        {
          cur->p = p;
          return OSI_JSON_TOKEN_ERROR;
        }
    }

  copy = emit && self->buf_len > 0;
  if (copy && (gsize) (end - p) > sizeof self->buf - self->buf_len)
    lim = p + (sizeof self->buf - self->buf_len);

  run = p;
  if (G_UNLIKELY (u8_need != 0))
    {
      self->u8_need = 0;
      goto utf8_continuation;
    }

  for (;;)
    {
      p = scan_plain (p, lim);
      if (G_UNLIKELY (p == lim))
        break;

      c = *p;
      if (c == '"' || c == '\\')
        break;
      if (c < 0x20)
        FAIL (OSI_JSON_ERROR_CONTROL_CHARACTER);

      /* Two-byte sequences carry most accented Latin letters. */
      if (c >= 0xc2 && c <= 0xdf && G_LIKELY (lim - p >= 2))
        {
          if (G_UNLIKELY ((p[1] & 0xc0) != 0x80))
            {
              p++;
              FAIL (OSI_JSON_ERROR_INVALID_UTF8);
            }
          p += 2;
          continue;
        }
      if (!utf8_lead (c, &u8_need, &u8_lo, &u8_hi))
        FAIL (OSI_JSON_ERROR_INVALID_UTF8);
      p++;

utf8_continuation:
      while (u8_need > 0)
        {
          if (p == lim)
            {
              /* A character split across chunks (or parts). */
              self->u8_need = (guint8) u8_need;
              self->u8_lo = u8_lo;
              self->u8_hi = u8_hi;
              goto run_end;
            }
          if (*p < u8_lo || *p > u8_hi)
            FAIL (OSI_JSON_ERROR_INVALID_UTF8);
          u8_lo = 0x80;
          u8_hi = 0xbf;
          u8_need--;
          p++;
        }
    }

run_end:
  if (copy)
    append (self, run, (gsize) (p - run));

  if (p == lim)
    {
      if (lim < end)
        return buffered_part (self, cur, p);
      if (emit && !copy && p > run)
        {
          cur->p = p;
          return part (self, cur, run, (gsize) (p - run), FALSE);
        }
      return out_of_bytes (self, cur, p);
    }

  if (*p == '"')
    {
      cur->p = p + 1;
      if (self->in_key)
        self->state = ST_COLON;
      else
        value_done (self);
      if (!emit)
        {
          if (self->skipping == SKIP_STRING)
            self->skipping = SKIP_NONE;
          return TK_CONTINUE;
        }
      if (copy)
        {
          gsize len = self->buf_len;

          self->buf_len = 0;
          return part (self, cur, self->buf, len, TRUE);
        }
      return part (self, cur, run, (gsize) (p - run), TRUE);
    }

  /* A backslash: what comes before it goes out first, while the buffer
   * still has room for what the escape decodes to. */
  if (emit && !copy && p > run)
    {
      cur->p = p;
      return part (self, cur, run, (gsize) (p - run), FALSE);
    }
  if (copy && self->buf_len > sizeof self->buf - ESCAPE_ROOM)
    return buffered_part (self, cur, p);
  self->escape_offset = offset_at (self, cur, p);
  self->state = ST_ESCAPE;
  cur->p = p + 1;
  return TK_CONTINUE;
}

/* The character after a backslash. */
static inline OsiJsonToken
step_escape (OsiJsonTokenizer *self,
             Cursor           *cur)
{
  const guint8 *p = cur->p;
  const guint8 *end = cur->end;
  guint8 escaped;

  if (p == end)
    return out_of_bytes (self, cur, p);
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
      /* Text written as ASCII escapes every accent: the common whole
       * escape skips the resumable loop. */
      if (G_LIKELY (end - p >= 4))
        {
          int h0 = hex_value (p[0]), h1 = hex_value (p[1]);
          int h2 = hex_value (p[2]), h3 = hex_value (p[3]);

          if ((h0 | h1 | h2 | h3) >= 0)
            return unicode_escape (self, cur, p + 4, (gunichar) ((h0 << 12) | (h1 << 8) | (h2 << 4) | h3));
        }
      self->unicode = 0;
      self->unicode_digits = 0;
      self->state = ST_UNICODE;
      cur->p = p;
      return TK_CONTINUE;
    default:
      FAIL (OSI_JSON_ERROR_INVALID_ESCAPE);
    }

  if (G_UNLIKELY (self->pending_high != 0) && lone_high (self) == OSI_JSON_TOKEN_ERROR)
    {
      cur->p = p;
      return OSI_JSON_TOKEN_ERROR;
    }
  append (self, &escaped, 1);
  self->state = ST_STRING;
  cur->p = p + 1;
  return TK_CONTINUE;
}

/* The four hexadecimal digits of a \u escape, one at a time. */
static inline OsiJsonToken
step_unicode (OsiJsonTokenizer *self,
              Cursor           *cur)
{
  const guint8 *p = cur->p;

  while (self->unicode_digits < 4)
    {
      int v;

      if (p == cur->end)
        return out_of_bytes (self, cur, p);
      v = hex_value (*p);
      if (v < 0)
        FAIL (OSI_JSON_ERROR_INVALID_HEX_DIGIT);
      self->unicode = (self->unicode << 4) | (gunichar) v;
      self->unicode_digits++;
      p++;
    }
  return unicode_escape (self, cur, p, self->unicode);
}

/* ------------------------------------------------------------------------ */
/* Numbers and literals                                                     */

/* The number's text from start to p is over: a NUMBER token. */
static inline OsiJsonToken
number_done (OsiJsonTokenizer *self,
             Cursor           *cur,
             const guint8     *start,
             const guint8     *p)
{
  gsize len = (gsize) (p - start);
  guint64 total = self->number_len + len;

  cur->p = p;
  value_done (self);
  cur->span->len = (gsize) total;
  cur->span->last = TRUE;
  if (total > OSI_JSON_NUMBER_MAX)
    cur->span->data = NULL;
  else if (self->number_len == 0)
    cur->span->data = start;
  else
    {
      /* Begun in an earlier chunk (start is NULL for an empty one). */
      if (len > 0)
        memcpy (self->buf + self->number_len, start, len);
      cur->span->data = self->buf;
    }
  return OSI_JSON_TOKEN_NUMBER;
}

static inline gboolean
number_complete (const OsiJsonTokenizer *self)
{
  return self->num_state == N_ZERO || self->num_state == N_INT
         || self->num_state == N_FRAC || self->num_state == N_EXP_DIGITS;
}

/* A number, with its own resumable grammar in self->num_state; it ends at
 * the first byte that cannot continue it. */
static inline OsiJsonToken
step_number (OsiJsonTokenizer *self,
             Cursor           *cur)
{
  const guint8 *start = cur->p;
  const guint8 *p = start;
  const guint8 *end = cur->end;
  guint8 c;

  for (;;)
    {
      if (p == end)
        break;
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
            FAIL (OSI_JSON_ERROR_INVALID_NUMBER);
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
            FAIL (OSI_JSON_ERROR_LEADING_ZERO);
          if (c == '.')
            self->num_state = N_DOT;
          else if (c == 'e' || c == 'E')
            self->num_state = N_EXP;
          else
            return number_done (self, cur, start, p);
          p++;
          continue;

        case N_DOT:
          if (!is_digit (c))
            FAIL (OSI_JSON_ERROR_INVALID_NUMBER);
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
          return number_done (self, cur, start, p);

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
            FAIL (OSI_JSON_ERROR_INVALID_NUMBER);
          self->num_state = N_EXP_DIGITS;
          p++;
          continue;

        case N_EXP_DIGITS:
          while (p < end && is_digit (*p))
            p++;
          if (p == end)
            continue;
          return number_done (self, cur, start, p);

        default:
          g_assert_not_reached ();
        }
    }

  /* The chunk ends in the number: keep its text for the next one. */
  if (self->finished && number_complete (self))
    return number_done (self, cur, start, p);
  if (p > start && self->number_len + (guint64) (p - start) <= OSI_JSON_NUMBER_MAX)
    memcpy (self->buf + self->number_len, start, (gsize) (p - start));
  self->number_len += (guint64) (p - start);
  return out_of_bytes (self, cur, p);
}

/* The rest of true, false or null. */
static inline OsiJsonToken
step_literal (OsiJsonTokenizer *self,
              Cursor           *cur)
{
  const guint8 *p = cur->p;
  const char *literal = self->literal;

  while (literal[self->literal_pos] != '\0')
    {
      if (p == cur->end)
        return out_of_bytes (self, cur, p);
      if (*p != (guint8) literal[self->literal_pos])
        FAIL (OSI_JSON_ERROR_INVALID_LITERAL);
      self->literal_pos++;
      p++;
    }
  value_done (self);
  cur->p = p;
  return literal[0] == 't' ? OSI_JSON_TOKEN_TRUE : literal[0] == 'f' ? OSI_JSON_TOKEN_FALSE : OSI_JSON_TOKEN_NULL;
}

/* ------------------------------------------------------------------------ */
/* Pulling                                                                  */

static inline OsiJsonToken
step (OsiJsonTokenizer  *self,
      const guint8     **p,
      const guint8      *end,
      OsiJsonSpan       *span)
{
  Cursor cur = { *p, *p, end, span };
  OsiJsonToken token;

  do
    {
      switch ((State) self->state)
        {
        case ST_VALUE:        token = step_value (self, &cur); break;
        case ST_ARRAY_FIRST:  token = step_array_first (self, &cur); break;
        case ST_OBJECT_FIRST: token = step_object_first (self, &cur); break;
        case ST_KEY:          token = step_key (self, &cur); break;
        case ST_COLON:        token = step_colon (self, &cur); break;
        case ST_AFTER_VALUE:  token = step_after_value (self, &cur); break;
        case ST_DONE:         token = step_done (self, &cur); break;
        case ST_STRING:       token = step_string (self, &cur); break;
        case ST_ESCAPE:       token = step_escape (self, &cur); break;
        case ST_UNICODE:      token = step_unicode (self, &cur); break;
        case ST_NUMBER:       token = step_number (self, &cur); break;
        case ST_LITERAL:      token = step_literal (self, &cur); break;
        case ST_ERROR:        token = OSI_JSON_TOKEN_ERROR; break;
        default:              g_assert_not_reached ();
        }
    }
  while (token == TK_CONTINUE);

  self->offset += (guint64) (cur.p - cur.base);
  *p = cur.p;
  return token;
}

/* Pulls and drops the tokens of what osi_json_tokenizer_skip () marked,
 * then returns the next one. */
static G_GNUC_NO_INLINE OsiJsonToken
skip_then_next (OsiJsonTokenizer  *self,
                const guint8     **p,
                const guint8      *end,
                OsiJsonSpan       *span)
{
  for (;;)
    {
      OsiJsonToken token = step (self, p, end, span);

      /* A skipped string ended inside step (): token is the next one. */
      if (self->skipping == SKIP_NONE)
        return token;

      switch (token)
        {
        case OSI_JSON_TOKEN_NEED_MORE:
        case OSI_JSON_TOKEN_ERROR:
        case OSI_JSON_TOKEN_END:
          return token;
        case OSI_JSON_TOKEN_END_OBJECT:
        case OSI_JSON_TOKEN_END_ARRAY:
          if (self->depth < self->skip_depth)
            {
              self->skipping = SKIP_NONE;
              return step (self, p, end, span);
            }
          break;
        default:
          break;
        }
    }
}

void
osi_json_tokenizer_init (OsiJsonTokenizer      *self,
                         guint                  max_depth,
                         OsiJsonTokenizerFlags  flags)
{
  g_return_if_fail (self != NULL);
  g_return_if_fail (max_depth <= OSI_JSON_MAX_DEPTH);

  memset (self, 0, G_STRUCT_OFFSET (OsiJsonTokenizer, buf));
  self->max_depth = max_depth;
  self->flags = flags;
  self->state = ST_VALUE;
}

OsiJsonToken
osi_json_tokenizer_next (OsiJsonTokenizer  *self,
                         const guint8     **p,
                         const guint8      *end,
                         OsiJsonSpan       *span)
{
  g_return_val_if_fail (self != NULL, OSI_JSON_TOKEN_ERROR);
  g_return_val_if_fail (p != NULL && *p <= end, OSI_JSON_TOKEN_ERROR);
  g_return_val_if_fail (span != NULL, OSI_JSON_TOKEN_ERROR);

  if (G_UNLIKELY (self->skipping != SKIP_NONE))
    return skip_then_next (self, p, end, span);
  return step (self, p, end, span);
}

void
osi_json_tokenizer_skip (OsiJsonTokenizer *self)
{
  g_return_if_fail (self != NULL);

  switch ((State) self->state)
    {
    case ST_OBJECT_FIRST:
    case ST_ARRAY_FIRST:
      self->skipping = SKIP_CONTAINER;
      self->skip_depth = self->depth;
      break;
    case ST_STRING:
    case ST_ESCAPE:
    case ST_UNICODE:
      self->skipping = SKIP_STRING;
      self->buf_len = 0;
      break;
    default:
      break;
    }
}

void
osi_json_tokenizer_finish (OsiJsonTokenizer *self)
{
  g_return_if_fail (self != NULL);

  self->finished = TRUE;
}

OsiJsonError
osi_json_tokenizer_get_error (const OsiJsonTokenizer *self,
                              guint64                *offset)
{
  g_return_val_if_fail (self != NULL, OSI_JSON_ERROR_NONE);

  if (offset != NULL)
    *offset = self->error_offset;
  return (OsiJsonError) self->error;
}

char *
osi_json_tokenizer_describe_error (const OsiJsonTokenizer *self)
{
  g_return_val_if_fail (self != NULL, NULL);

  switch ((OsiJsonError) self->error)
    {
    case OSI_JSON_ERROR_NONE:
      return NULL;
    case OSI_JSON_ERROR_EMPTY:
      return g_strdup (_("the text is empty"));
    case OSI_JSON_ERROR_BYTE_ORDER_MARK:
      return g_strdup (_("a byte order mark is not allowed"));
    case OSI_JSON_ERROR_EXPECTED_VALUE:
      return g_strdup (_("expected a value"));
    case OSI_JSON_ERROR_EXPECTED_KEY:
      return g_strdup (_("expected a member name"));
    case OSI_JSON_ERROR_EXPECTED_COLON:
      return g_strdup (_("expected “:”"));
    case OSI_JSON_ERROR_EXPECTED_COMMA_OR_BRACKET:
      return g_strdup (_("expected “,” or “]”"));
    case OSI_JSON_ERROR_EXPECTED_COMMA_OR_BRACE:
      return g_strdup (_("expected “,” or “}”"));
    case OSI_JSON_ERROR_TRAILING_DATA:
      return g_strdup (_("unexpected data after the top-level value"));
    case OSI_JSON_ERROR_CONTROL_CHARACTER:
      return g_strdup (_("unescaped control character in a string"));
    case OSI_JSON_ERROR_INVALID_UTF8:
      return g_strdup (_("invalid UTF-8"));
    case OSI_JSON_ERROR_INVALID_ESCAPE:
      return g_strdup (_("invalid escape sequence"));
    case OSI_JSON_ERROR_INVALID_HEX_DIGIT:
      return g_strdup (_("invalid hexadecimal digit in a \\u escape"));
    case OSI_JSON_ERROR_NUL_ESCAPE:
      return g_strdup (_("a \\u0000 escape is not allowed"));
    case OSI_JSON_ERROR_LONE_SURROGATE:
      return g_strdup (_("unpaired surrogate in a \\u escape"));
    case OSI_JSON_ERROR_INVALID_NUMBER:
      return g_strdup (_("invalid number"));
    case OSI_JSON_ERROR_LEADING_ZERO:
      return g_strdup (_("leading zeros are not allowed in numbers"));
    case OSI_JSON_ERROR_INVALID_LITERAL:
      return g_strdup (_("invalid literal"));
    case OSI_JSON_ERROR_TOO_DEEP:
      return g_strdup_printf (g_dngettext (GETTEXT_PACKAGE,
                                           "nested deeper than %d level",
                                           "nested deeper than %d levels",
                                           self->max_depth),
                              (int) self->max_depth);
    case OSI_JSON_ERROR_UNTERMINATED_STRING:
      return g_strdup (_("unterminated string"));
    case OSI_JSON_ERROR_TRUNCATED:
      return g_strdup (_("unexpected end of data"));
    default:
      g_assert_not_reached ();
    }
}

guint64
osi_json_tokenizer_get_offset (const OsiJsonTokenizer *self)
{
  g_return_val_if_fail (self != NULL, 0);

  return self->offset;
}

guint
osi_json_tokenizer_get_depth (const OsiJsonTokenizer *self)
{
  g_return_val_if_fail (self != NULL, 0);

  return self->depth;
}
