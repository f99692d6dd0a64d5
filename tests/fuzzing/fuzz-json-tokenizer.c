/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "osi-json-tokenizer.h"

int LLVMFuzzerTestOneInput (const uint8_t *data, size_t size);

/* Byte by byte costs a call and an allocation per byte: short inputs only. */
#define BYTEWISE_MAX 65536

typedef struct
{
  OsiJsonTokenizerFlags flags;
  /* Containers opening at this depth are skipped (0: none). */
  guint                 skip_depth;
  /* Strings are skipped after their first part; no string is shown. */
  gboolean              skip_strings;
} Options;

typedef struct
{
  GString      *tokens;  /* one letter per token, the text of strings and numbers */
  OsiJsonError  error;
  guint64       offset;
} Outcome;

/* chunk 0: the input whole; 1: byte by byte; otherwise chunk sizes drawn
 * from a generator seeded with `chunk`, from 1 byte to the whole rest, so
 * that chunk ends fall inside strings, escapes, numbers and literals. Each
 * chunk is a copy of its own, freed once pulled: a span kept past its
 * chunk shows under AddressSanitizer. */
static void
tokenize (const uint8_t *data,
          size_t         size,
          guint32        chunk,
          const Options *options,
          Outcome       *out)
{
  OsiJsonTokenizer tk;
  g_autoptr(GString) string = g_string_new (NULL);
  guint32 state = chunk | 1;
  size_t at = 0;
  OsiJsonToken token = OSI_JSON_TOKEN_NEED_MORE;

  out->tokens = g_string_new (NULL);
  osi_json_tokenizer_init (&tk, OSI_JSON_MAX_DEPTH, options->flags);
  for (;;)
    {
      size_t n;
      guint8 *copy;
      const guint8 *p;
      const guint8 *end;

      if (chunk == 0)
        n = size;
      else if (chunk == 1)
        n = 1;
      else
        {
          state ^= state << 13;
          state ^= state >> 17;
          state ^= state << 5;
          /* Mostly short chunks, now and then the whole rest. */
          n = (state & 7) == 0 ? size - at : 1 + (state >> 8) % 97;
        }
      n = MIN (n, size - at);
      /* After the last chunk, the end of the stream with no byte. */
      if (n == 0)
        osi_json_tokenizer_finish (&tk);
      copy = g_memdup2 (data + at, n);
      p = copy;
      end = n > 0 ? copy + n : copy;   /* NULL + 0 is undefined */
      for (;;)
        {
          OsiJsonSpan span;

          token = osi_json_tokenizer_next (&tk, &p, end, &span);
          if (token == OSI_JSON_TOKEN_NEED_MORE || token == OSI_JSON_TOKEN_ERROR || token == OSI_JSON_TOKEN_END)
            break;
          switch (token)
            {
            case OSI_JSON_TOKEN_BEGIN_OBJECT:
            case OSI_JSON_TOKEN_BEGIN_ARRAY:
              if (osi_json_tokenizer_get_depth (&tk) == options->skip_depth)
                {
                  g_string_append_c (out->tokens, 'S');
                  osi_json_tokenizer_skip (&tk);
                }
              else
                g_string_append_c (out->tokens, token == OSI_JSON_TOKEN_BEGIN_OBJECT ? '{' : '[');
              break;
            case OSI_JSON_TOKEN_END_OBJECT:
              g_string_append_c (out->tokens, '}');
              break;
            case OSI_JSON_TOKEN_END_ARRAY:
              g_string_append_c (out->tokens, ']');
              break;
            case OSI_JSON_TOKEN_KEY_PART:
            case OSI_JSON_TOKEN_STRING_PART:
              if (span.data == NULL && span.len > 0)
                abort ();
              if (options->skip_strings)
                {
                  if (!span.last)
                    osi_json_tokenizer_skip (&tk);
                  break;
                }
              g_string_append_len (string, (const char *) span.data, (gssize) span.len);
              if (span.last)
                {
                  /* Decoded text is valid UTF-8 (NUL bytes from \u0000
                   * apart), whatever the parts. */
                  for (const char *s = string->str; s < string->str + string->len; s += strlen (s) + 1)
                    if (!g_utf8_validate (s, -1, NULL))
                      abort ();
                  g_string_append_c (out->tokens, token == OSI_JSON_TOKEN_KEY_PART ? 'k' : 's');
                  g_string_append_len (out->tokens, string->str, (gssize) string->len);
                  g_string_append_c (out->tokens, '\0');
                  g_string_truncate (string, 0);
                }
              break;
            case OSI_JSON_TOKEN_NUMBER:
              g_string_append_c (out->tokens, 'n');
              if (span.data != NULL)
                g_string_append_len (out->tokens, (const char *) span.data, (gssize) span.len);
              else if (span.len <= OSI_JSON_NUMBER_MAX)
                abort ();
              g_string_append_c (out->tokens, '\0');
              break;
            case OSI_JSON_TOKEN_TRUE:
              g_string_append_c (out->tokens, 't');
              break;
            case OSI_JSON_TOKEN_FALSE:
              g_string_append_c (out->tokens, 'f');
              break;
            case OSI_JSON_TOKEN_NULL:
              g_string_append_c (out->tokens, 'z');
              break;
            default:
              abort ();
            }
        }
      if (token != OSI_JSON_TOKEN_ERROR && p != end)
        abort ();
      g_free (copy);
      at += n;
      if (token == OSI_JSON_TOKEN_ERROR || n == 0)
        break;
    }

  out->error = osi_json_tokenizer_get_error (&tk, &out->offset);
  if ((token == OSI_JSON_TOKEN_ERROR) != (out->error != OSI_JSON_ERROR_NONE) ||
      (token != OSI_JSON_TOKEN_ERROR && token != OSI_JSON_TOKEN_END))
    abort ();
  if (out->error == OSI_JSON_ERROR_NONE && (osi_json_tokenizer_get_offset (&tk) != size ||
                                            osi_json_tokenizer_get_depth (&tk) != 0))
    abort ();
}

static void
check_same (const uint8_t *data,
            size_t         size,
            const Outcome *whole,
            const Outcome *split,
            const char    *how)
{
  if (whole->error == split->error && whole->offset == split->offset && g_string_equal (whole->tokens, split->tokens))
    return;
  fprintf (stderr, "fuzz-json-tokenizer: the input whole and %s disagree: error %d at %" G_GUINT64_FORMAT
           " and error %d at %" G_GUINT64_FORMAT ", %s tokens\n",
           how, whole->error, whole->offset, split->error, split->offset,
           g_string_equal (whole->tokens, split->tokens) ? "the same" : "other");
  fwrite (data, 1, size, stderr);
  abort ();
}

/* json-glib 1.6 reads more than RFC 8259 (its scanner is GScanner's, set
 * up for JSON): when the tokenizer refuses an input that json-glib
 * accepts, the first thing the tokenizer refused must be one of these. */
static gboolean
json_glib_also_takes (OsiJsonError   error,
                      const uint8_t *data,
                      size_t         size,
                      guint64        offset)
{
  guint8 c = offset < size ? data[offset] : 0;

  /* A lone surrogate escape: json-glib writes it out as three bytes
   * (not UTF-8), and a high one can swallow the closing quote, so the
   * string goes on to the next quote; a low one alone it takes as it is.
   * Whether it then accepts the text depends on what follows. */
  if (error == OSI_JSON_ERROR_LONE_SURROGATE)
    return TRUE;

  /* After a top-level value of any kind, json-glib reads more arrays
   * and objects ("{}{}", "[1][2]", "1 {}"), where the tokenizer stops at
   * the second value; a scalar there it refuses. */
  if (error == OSI_JSON_ERROR_TRAILING_DATA && (c == '{' || c == '['))
    return TRUE;

  /* "1." is a number to json-glib, at the end of the text too. */
  if (error == OSI_JSON_ERROR_TRUNCATED && offset == size && size >= 2 && data[size - 1] == '.' &&
      g_ascii_isdigit (data[size - 2]))
    return TRUE;

  switch (error)
    {
    case OSI_JSON_ERROR_BYTE_ORDER_MARK:     /* skipped */
    case OSI_JSON_ERROR_CONTROL_CHARACTER:   /* raw tabs, line feeds… in strings */
    case OSI_JSON_ERROR_INVALID_ESCAPE:      /* \x, \', \U…: the character kept */
    case OSI_JSON_ERROR_INVALID_HEX_DIGIT:   /* \uzzzz, \u12g4: what it could read */
    case OSI_JSON_ERROR_INVALID_NUMBER:      /* 1., 1.e5 */
    case OSI_JSON_ERROR_LEADING_ZERO:        /* 01, 017 (octal) */
      return TRUE;
    default:
      break;
    }
  /* Single-quoted strings, comments (C ones, and "//" of its own: it
   * takes a slash and the byte after it as an opening), .5, $1F and 0x1F
   * (hexadecimal). */
  return c == '\'' || c == '/' || c == '.' || c == '$' ||
         ((c == 'x' || c == 'X') && offset > 0 && data[offset - 1] == '0');
}

/* Acceptance as json-glib's on inputs within the depth limit (deeper
 * ones crash its recursive parser), and osi_json_parse (), the project's
 * one way into it, taking exactly what both take. */
static void
check_json_glib (const uint8_t *data,
                 size_t         size)
{
  /* json-glib refuses lone surrogate escapes, most of them at least. */
  static const Options like_json_glib = { OSI_JSON_TOKENIZER_REFUSE_LONE_SURROGATES, 0, FALSE };
  g_autoptr(JsonParser) parser = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(GError) parse_error = NULL;
  g_autoptr(JsonNode) root = NULL;
  gboolean glib_takes;
  Outcome ours;

  if (!osi_json_check_depth ((const char *) data, size, OSI_JSON_MAX_DEPTH, NULL))
    return;
  tokenize (data, size, 0, &like_json_glib, &ours);
  g_string_free (ours.tokens, TRUE);
  if (ours.error == OSI_JSON_ERROR_TOO_DEEP)
    return;
  parser = json_parser_new ();
  glib_takes = json_parser_load_from_data (parser, (const char *) data, (gssize) size, &error) &&
               json_parser_get_root (parser) != NULL;

  if (ours.error == OSI_JSON_ERROR_NONE && !glib_takes)
    {
      fprintf (stderr, "fuzz-json-tokenizer: accepted, but json-glib says: %s\n",
               error != NULL ? error->message : "no value");
      abort ();
    }
  if (ours.error != OSI_JSON_ERROR_NONE && glib_takes &&
      !json_glib_also_takes (ours.error, data, size, ours.offset))
    {
      fprintf (stderr, "fuzz-json-tokenizer: error %d at byte %" G_GUINT64_FORMAT ", but json-glib accepts\n",
               ours.error, ours.offset);
      abort ();
    }

  root = osi_json_parse ((const char *) data, size, &parse_error);
  if ((root != NULL) != (ours.error == OSI_JSON_ERROR_NONE && glib_takes))
    {
      fprintf (stderr, "fuzz-json-tokenizer: osi_json_parse %s what the tokenizer %s and json-glib %s\n",
               root != NULL ? "takes" : "refuses", ours.error == OSI_JSON_ERROR_NONE ? "takes" : "refuses",
               glib_takes ? "takes" : "refuses");
      abort ();
    }
}

/* The tokenizer on any bytes: the same tokens and the same error at the
 * same byte however the input is cut; skipping checks as much as pulling;
 * the strict flags only add their own errors; and acceptance agrees with
 * json-glib but for its known leniencies. */
int
LLVMFuzzerTestOneInput (const uint8_t *data,
                        size_t         size)
{
  static const Options plain = { OSI_JSON_TOKENIZER_DEFAULT, 0, FALSE };
  static const Options skipping = { OSI_JSON_TOKENIZER_DEFAULT, 2, TRUE };
  static const Options strict = { OSI_JSON_TOKENIZER_REFUSE_NUL | OSI_JSON_TOKENIZER_REFUSE_LONE_SURROGATES, 0,
                                  FALSE };
  Outcome whole, split, bytewise, skipped, skipped_split, strict_whole;
  guint32 seed = 2166136261u;

  /* The split follows the input (FNV-1a of its bytes): every mutation
   * tries other chunk ends, and a crash file replays the same ones. */
  for (size_t i = 0; i < size; i++)
    seed = (seed ^ data[i]) * 16777619u;
  seed = MAX (seed, 2);

  tokenize (data, size, 0, &plain, &whole);
  tokenize (data, size, seed, &plain, &split);
  check_same (data, size, &whole, &split, "split into chunks");
  if (size <= BYTEWISE_MAX)
    {
      tokenize (data, size, 1, &plain, &bytewise);
      check_same (data, size, &whole, &bytewise, "byte by byte");
      g_string_free (bytewise.tokens, TRUE);
    }

  /* What is skipped is checked all the same. */
  tokenize (data, size, 0, &skipping, &skipped);
  tokenize (data, size, seed, &skipping, &skipped_split);
  check_same (data, size, &skipped, &skipped_split, "split into chunks, skipping");
  if (skipped.error != whole.error || skipped.offset != whole.offset)
    {
      fprintf (stderr, "fuzz-json-tokenizer: skipping gives error %d at %" G_GUINT64_FORMAT
               ", pulling error %d at %" G_GUINT64_FORMAT "\n",
               skipped.error, skipped.offset, whole.error, whole.offset);
      abort ();
    }

  /* The strict flags refuse \u0000 and lone surrogates, nothing else. */
  tokenize (data, size, 0, &strict, &strict_whole);
  if (strict_whole.error == OSI_JSON_ERROR_NUL_ESCAPE || strict_whole.error == OSI_JSON_ERROR_LONE_SURROGATE)
    {
      if (whole.error != OSI_JSON_ERROR_NONE && strict_whole.offset > whole.offset)
        abort ();
    }
  else if (strict_whole.error != whole.error || strict_whole.offset != whole.offset ||
           !g_string_equal (strict_whole.tokens, whole.tokens))
    abort ();

  check_json_glib (data, size);

  g_string_free (whole.tokens, TRUE);
  g_string_free (split.tokens, TRUE);
  g_string_free (skipped.tokens, TRUE);
  g_string_free (skipped_split.tokens, TRUE);
  g_string_free (strict_whole.tokens, TRUE);
  return 0;
}
