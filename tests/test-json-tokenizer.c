/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <string.h>

#include "osi-json-tokenizer.h"

/* The core's one JSON tokenizer: the tokens of valid texts, each error
 * with its byte, and the same answer however the text is cut into chunks. */

typedef struct
{
  OsiJsonTokenizerFlags flags;
  guint                 max_depth;
  /* Containers that open at this depth are skipped (0: none). */
  guint                 skip_depth;
  /* Each string is skipped after its first part, and not shown. */
  gboolean              skip_strings;
} Options;

static const Options plain = { OSI_JSON_TOKENIZER_DEFAULT, 64, 0, FALSE };

static void
append_text (GString    *out,
             const char *prefix,
             GString    *text)
{
  /* g_strescape stops at a NUL byte: show those, they are decoded \u0000. */
  g_string_append (out, prefix);
  g_string_append_c (out, '"');
  for (gsize i = 0; i < text->len; i++)
    {
      if (text->str[i] == '\0')
        g_string_append (out, "\\0");
      else
        {
          g_autofree char *one = g_strescape ((char[]){ text->str[i], '\0' }, NULL);

          g_string_append (out, one);
        }
    }
  g_string_append (out, "\" ");
}

/* Feeds text in chunks cut at cuts (ascending), each chunk a copy of its
 * own freed once pulled, so that a span kept past its chunk would show
 * under AddressSanitizer; returns the tokens as words, e.g.
 * `{ k"a" n1 } END` or `[ ERROR:3@1`. */
static char *
run (const char    *text,
     gsize          len,
     const gsize   *cuts,
     guint          n_cuts,
     const Options *options)
{
  OsiJsonTokenizer tk;
  GString *out = g_string_new (NULL);
  g_autoptr(GString) string = g_string_new (NULL);
  gboolean in_string = FALSE;
  OsiJsonToken token = OSI_JSON_TOKEN_NEED_MORE;

  osi_json_tokenizer_init (&tk, options->max_depth, options->flags);
  for (guint chunk = 0; chunk <= n_cuts + 1; chunk++)
    {
      gsize from = chunk == 0 ? 0 : chunk <= n_cuts ? cuts[chunk - 1] : len;
      gsize to = chunk < n_cuts ? cuts[chunk] : len;
      guint8 *copy = g_memdup2 (text + from, to - from);
      const guint8 *p = copy;
      const guint8 *end = to > from ? copy + (to - from) : copy;   /* NULL + 0 is undefined */

      /* The last pass is the end of the stream, with no byte. */
      if (chunk == n_cuts + 1)
        osi_json_tokenizer_finish (&tk);

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
                  g_string_append (out, token == OSI_JSON_TOKEN_BEGIN_OBJECT ? "{…} " : "[…] ");
                  osi_json_tokenizer_skip (&tk);
                }
              else
                g_string_append (out, token == OSI_JSON_TOKEN_BEGIN_OBJECT ? "{ " : "[ ");
              break;
            case OSI_JSON_TOKEN_END_OBJECT:
              g_string_append (out, "} ");
              break;
            case OSI_JSON_TOKEN_END_ARRAY:
              g_string_append (out, "] ");
              break;
            case OSI_JSON_TOKEN_KEY_PART:
            case OSI_JSON_TOKEN_STRING_PART:
              g_assert_true (span.data != NULL || span.len == 0);
              if (options->skip_strings)
                {
                  /* Not shown: whether a skipped string ended well shows
                   * only in a later token, if any. */
                  g_assert_false (in_string);
                  if (!span.last)
                    osi_json_tokenizer_skip (&tk);
                  break;
                }
              in_string = TRUE;
              g_string_append_len (string, (const char *) span.data, (gssize) span.len);
              if (span.last)
                {
                  append_text (out, token == OSI_JSON_TOKEN_KEY_PART ? "k" : "s", string);
                  g_string_truncate (string, 0);
                  in_string = FALSE;
                }
              break;
            case OSI_JSON_TOKEN_NUMBER:
              g_assert_true (span.last);
              if (span.data == NULL)
                {
                  g_assert_cmpuint (span.len, >, OSI_JSON_NUMBER_MAX);
                  g_string_append_printf (out, "n<%" G_GSIZE_FORMAT "> ", span.len);
                }
              else
                {
                  g_string_append_c (out, 'n');
                  g_string_append_len (out, (const char *) span.data, (gssize) span.len);
                  g_string_append_c (out, ' ');
                }
              break;
            case OSI_JSON_TOKEN_TRUE:
              g_string_append (out, "true ");
              break;
            case OSI_JSON_TOKEN_FALSE:
              g_string_append (out, "false ");
              break;
            case OSI_JSON_TOKEN_NULL:
              g_string_append (out, "null ");
              break;
            default:
              g_assert_not_reached ();
            }
        }

      /* The whole chunk is used, but where an error stopped it. */
      if (token != OSI_JSON_TOKEN_ERROR)
        g_assert_true (p == end);
      g_free (copy);
      if (token == OSI_JSON_TOKEN_ERROR)
        break;
    }

  if (token == OSI_JSON_TOKEN_ERROR)
    {
      guint64 offset;
      OsiJsonError error = osi_json_tokenizer_get_error (&tk, &offset);
      OsiJsonSpan span;
      const guint8 *p = NULL;

      g_assert_cmpint (error, !=, OSI_JSON_ERROR_NONE);
      g_assert_cmpuint (offset, <=, len);
      /* Errors stick. */
      g_assert_cmpint (osi_json_tokenizer_next (&tk, &p, p, &span), ==, OSI_JSON_TOKEN_ERROR);
      g_string_append_printf (out, "ERROR:%d@%" G_GUINT64_FORMAT, error, offset);
    }
  else
    {
      g_assert_cmpint (token, ==, OSI_JSON_TOKEN_END);
      g_assert_cmpint (osi_json_tokenizer_get_error (&tk, NULL), ==, OSI_JSON_ERROR_NONE);
      g_assert_cmpuint (osi_json_tokenizer_get_offset (&tk), ==, len);
      g_assert_cmpuint (osi_json_tokenizer_get_depth (&tk), ==, 0);
      g_string_append (out, "END");
    }

  return g_string_free (out, FALSE);
}

static char *
run_whole (const char    *text,
           gsize          len,
           const Options *options)
{
  return run (text, len, NULL, 0, options);
}

/* The answer for the whole text, checked against every cut in two and
 * against one byte at a time. */
static char *
run_all_splits (const char    *text,
                gsize          len,
                const Options *options)
{
  char *whole = run_whole (text, len, options);
  g_autofree gsize *cuts = g_new (gsize, len + 1);

  for (gsize cut = 0; cut <= len; cut++)
    {
      g_autofree char *split = run (text, len, &cut, 1, options);

      if (g_strcmp0 (split, whole) != 0)
        g_error ("“%s” cut at %" G_GSIZE_FORMAT ": %s, whole: %s", text, cut, split, whole);
    }
  for (gsize i = 0; i <= len; i++)
    cuts[i] = i;
  {
    g_autofree char *bytes = run (text, len, cuts, (guint) len + 1, options);

    if (g_strcmp0 (bytes, whole) != 0)
      g_error ("“%s” byte by byte: %s, whole: %s", text, bytes, whole);
  }
  return whole;
}

static void
assert_tokens_with (const char    *text,
                    const Options *options,
                    const char    *expected)
{
  g_autofree char *got = run_all_splits (text, strlen (text), options);

  if (g_strcmp0 (got, expected) != 0)
    g_error ("“%s”: %s, expected %s", text, got, expected);
}

static void
assert_tokens (const char *text,
               const char *expected)
{
  assert_tokens_with (text, &plain, expected);
}

static void
assert_error_with (const char    *text,
                   gsize          len,
                   const Options *options,
                   OsiJsonError   error,
                   guint64        offset)
{
  g_autofree char *got = run_all_splits (text, len, options);
  g_autofree char *suffix = g_strdup_printf ("ERROR:%d@%" G_GUINT64_FORMAT, error, offset);

  if (!g_str_has_suffix (got, suffix))
    g_error ("“%s”: %s, expected %s", text, got, suffix);
}

static void
assert_error (const char   *text,
              OsiJsonError  error,
              guint64       offset)
{
  assert_error_with (text, strlen (text), &plain, error, offset);
}

static void
test_tokens (void)
{
  static const struct
  {
    const char *text;
    const char *tokens;
  } cases[] = {
    { "{}", "{ } END" },
    { "[]", "[ ] END" },
    { " \t\r\n[ ] \n", "[ ] END" },
    { "0", "n0 END" },
    { "-12.5e+3", "n-12.5e+3 END" },
    { "\"\"", "s\"\" END" },
    { "\"abc\"", "s\"abc\" END" },
    { "true", "true END" },
    { "false", "false END" },
    { "null", "null END" },
    { "{\"a\":1}", "{ k\"a\" n1 } END" },
    { "{ \"a\" : [ 1 , 2.5 , -3e2 , true , false , null ] , \"b\" : { } }",
      "{ k\"a\" [ n1 n2.5 n-3e2 true false null ] k\"b\" { } } END" },
    { "[[[]],{}]", "[ [ [ ] ] { } ] END" },
    { "{\"\":\"\"}", "{ k\"\" s\"\" } END" },
    { "[\"a\",\"b\"]", "[ s\"a\" s\"b\" ] END" },
    { "[0,-0,10,0.0,1E5,1e-5,123456789012345678901234567890]",
      "[ n0 n-0 n10 n0.0 n1E5 n1e-5 n123456789012345678901234567890 ] END" },
    { "[1]  ", "[ n1 ] END" },
    { "[true,false,null]", "[ true false null ] END" },
    /* Members given twice are both given: what counts is the caller's. */
    { "{\"a\":1,\"a\":2}", "{ k\"a\" n1 k\"a\" n2 } END" },
  };

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    assert_tokens (cases[i].text, cases[i].tokens);
}

static void
test_errors (void)
{
  static const struct
  {
    const char   *text;
    OsiJsonError  error;
    guint64       offset;
  } cases[] = {
    { "", OSI_JSON_ERROR_EMPTY, 0 },
    { " ", OSI_JSON_ERROR_TRUNCATED, 1 },
    { "\xef\xbb\xbf{}", OSI_JSON_ERROR_BYTE_ORDER_MARK, 0 },
    { " \xef\xbb\xbf{}", OSI_JSON_ERROR_EXPECTED_VALUE, 1 },
    { "x", OSI_JSON_ERROR_EXPECTED_VALUE, 0 },
    { "[,1]", OSI_JSON_ERROR_EXPECTED_VALUE, 1 },
    { "[1,]", OSI_JSON_ERROR_EXPECTED_VALUE, 3 },
    { "{\"a\":}", OSI_JSON_ERROR_EXPECTED_VALUE, 5 },
    { "[.5]", OSI_JSON_ERROR_EXPECTED_VALUE, 1 },
    { "['a']", OSI_JSON_ERROR_EXPECTED_VALUE, 1 },
    { "[/* c */1]", OSI_JSON_ERROR_EXPECTED_VALUE, 1 },
    { "{a:1}", OSI_JSON_ERROR_EXPECTED_KEY, 1 },
    { "{\"a\":1,}", OSI_JSON_ERROR_EXPECTED_KEY, 7 },
    { "{1:1}", OSI_JSON_ERROR_EXPECTED_KEY, 1 },
    { "{\"a\" 1}", OSI_JSON_ERROR_EXPECTED_COLON, 5 },
    { "{\"a\",1}", OSI_JSON_ERROR_EXPECTED_COLON, 4 },
    { "[1 2]", OSI_JSON_ERROR_EXPECTED_COMMA_OR_BRACKET, 3 },
    { "[1}", OSI_JSON_ERROR_EXPECTED_COMMA_OR_BRACKET, 2 },
    { "[0x1]", OSI_JSON_ERROR_EXPECTED_COMMA_OR_BRACKET, 2 },
    { "[truex]", OSI_JSON_ERROR_EXPECTED_COMMA_OR_BRACKET, 5 },
    { "{\"a\":1]", OSI_JSON_ERROR_EXPECTED_COMMA_OR_BRACE, 6 },
    { "{\"a\":1 \"b\":2}", OSI_JSON_ERROR_EXPECTED_COMMA_OR_BRACE, 7 },
    { "[1]]", OSI_JSON_ERROR_TRAILING_DATA, 3 },
    { "{} {}", OSI_JSON_ERROR_TRAILING_DATA, 3 },
    { "1 2", OSI_JSON_ERROR_TRAILING_DATA, 2 },
    { "[\"a\tb\"]", OSI_JSON_ERROR_CONTROL_CHARACTER, 3 },
    { "[\"a\nb\"]", OSI_JSON_ERROR_CONTROL_CHARACTER, 3 },
    { "[\"\x1f\"]", OSI_JSON_ERROR_CONTROL_CHARACTER, 2 },
    { "[\"\xff\"]", OSI_JSON_ERROR_INVALID_UTF8, 2 },
    { "[\"\\x\"]", OSI_JSON_ERROR_INVALID_ESCAPE, 3 },
    { "[\"\\U0041\"]", OSI_JSON_ERROR_INVALID_ESCAPE, 3 },
    { "[\"\\'\"]", OSI_JSON_ERROR_INVALID_ESCAPE, 3 },
    { "[\"\\u12\"]", OSI_JSON_ERROR_INVALID_HEX_DIGIT, 6 },
    { "[\"\\u00g0\"]", OSI_JSON_ERROR_INVALID_HEX_DIGIT, 6 },
    { "-", OSI_JSON_ERROR_TRUNCATED, 1 },
    { "[-]", OSI_JSON_ERROR_INVALID_NUMBER, 2 },
    { "[--1]", OSI_JSON_ERROR_INVALID_NUMBER, 2 },
    { "[-a]", OSI_JSON_ERROR_INVALID_NUMBER, 2 },
    { "[1.]", OSI_JSON_ERROR_INVALID_NUMBER, 3 },
    { "[1.e5]", OSI_JSON_ERROR_INVALID_NUMBER, 3 },
    { "[1e]", OSI_JSON_ERROR_INVALID_NUMBER, 3 },
    { "[1e+]", OSI_JSON_ERROR_INVALID_NUMBER, 4 },
    { "[1E-x]", OSI_JSON_ERROR_INVALID_NUMBER, 4 },
    { "[01]", OSI_JSON_ERROR_LEADING_ZERO, 2 },
    { "[-00]", OSI_JSON_ERROR_LEADING_ZERO, 3 },
    { "[+1]", OSI_JSON_ERROR_EXPECTED_VALUE, 1 },
    { "[tru]", OSI_JSON_ERROR_INVALID_LITERAL, 4 },
    { "[nul1]", OSI_JSON_ERROR_INVALID_LITERAL, 4 },
    { "[True]", OSI_JSON_ERROR_EXPECTED_VALUE, 1 },
    { "[NaN]", OSI_JSON_ERROR_EXPECTED_VALUE, 1 },
    { "[\"abc", OSI_JSON_ERROR_UNTERMINATED_STRING, 5 },
    { "[\"abc\\", OSI_JSON_ERROR_UNTERMINATED_STRING, 6 },
    { "[\"abc\\u00", OSI_JSON_ERROR_UNTERMINATED_STRING, 9 },
    { "\"\xc3", OSI_JSON_ERROR_UNTERMINATED_STRING, 2 },
    { "{\"a", OSI_JSON_ERROR_UNTERMINATED_STRING, 3 },
    { "[", OSI_JSON_ERROR_TRUNCATED, 1 },
    { "[1", OSI_JSON_ERROR_TRUNCATED, 2 },
    { "[1,", OSI_JSON_ERROR_TRUNCATED, 3 },
    { "{", OSI_JSON_ERROR_TRUNCATED, 1 },
    { "{\"a\"", OSI_JSON_ERROR_TRUNCATED, 4 },
    { "{\"a\":", OSI_JSON_ERROR_TRUNCATED, 5 },
    { "{\"a\":1", OSI_JSON_ERROR_TRUNCATED, 6 },
    { "[1.5e", OSI_JSON_ERROR_TRUNCATED, 5 },
    { "[tr", OSI_JSON_ERROR_TRUNCATED, 3 },
    { "tr", OSI_JSON_ERROR_TRUNCATED, 2 },
  };

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    assert_error (cases[i].text, cases[i].error, cases[i].offset);

  /* A NUL byte is no whitespace, no value, and no string content. */
  assert_error_with ("[1]\0", 4, &plain, OSI_JSON_ERROR_TRAILING_DATA, 3);
  assert_error_with ("[\0]", 3, &plain, OSI_JSON_ERROR_EXPECTED_VALUE, 1);
  assert_error_with ("[\"a\0\"]", 6, &plain, OSI_JSON_ERROR_CONTROL_CHARACTER, 3);
}

/* Escapes decode as the knowledge-base validator and the comparison have
 * always decoded them; lone surrogates and \u0000 only where asked. */
static void
test_escapes (void)
{
  static const Options strict = { OSI_JSON_TOKENIZER_REFUSE_NUL | OSI_JSON_TOKENIZER_REFUSE_LONE_SURROGATES, 64, 0,
                                  FALSE };
  static const Options no_nul = { OSI_JSON_TOKENIZER_REFUSE_NUL, 64, 0, FALSE };
  static const Options no_lone = { OSI_JSON_TOKENIZER_REFUSE_LONE_SURROGATES, 64, 0, FALSE };

  assert_tokens ("\"\\\"\\\\\\/\\b\\f\\n\\r\\t\"", "s\"\\\"\\\\/\\b\\f\\n\\r\\t\" END");
  assert_tokens ("\"\\u0041\\u00e9\\u20AC\"", "s\"A\\303\\251\\342\\202\\254\" END");
  /* A pair is one character, U+1F600. */
  assert_tokens ("\"\\ud83d\\ude00\"", "s\"\\360\\237\\230\\200\" END");
  assert_tokens_with ("\"\\ud83d\\ude00\"", &strict, "s\"\\360\\237\\230\\200\" END");
  assert_tokens ("{\"\\u006bey\":\"v\\u0061l\"}", "{ k\"key\" s\"val\" } END");
  /* Lone surrogates are U+FFFD, what follows them kept. */
  assert_tokens ("\"\\ud800\"", "s\"\\357\\277\\275\" END");
  assert_tokens ("\"\\udc00x\"", "s\"\\357\\277\\275x\" END");
  assert_tokens ("\"a\\ud800b\"", "s\"a\\357\\277\\275b\" END");
  assert_tokens ("\"\\ud800\\n\"", "s\"\\357\\277\\275\\n\" END");
  assert_tokens ("\"\\ud800\\u0041\"", "s\"\\357\\277\\275A\" END");
  assert_tokens ("\"\\ud800\\ud800\\udc00\"", "s\"\\357\\277\\275\\360\\220\\200\\200\" END");
  assert_tokens ("\"\\ude00\\ud83d\"", "s\"\\357\\277\\275\\357\\277\\275\" END");
  /* \u0000 is a NUL byte, unless refused. */
  assert_tokens ("\"a\\u0000b\"", "s\"a\\0b\" END");
  assert_tokens_with ("\"a\\u0000b\"", &no_lone, "s\"a\\0b\" END");
  assert_tokens_with ("\"\\ud800\"", &no_nul, "s\"\\357\\277\\275\" END");
  assert_error_with ("[\"a\\u0000b\"]", 12, &no_nul, OSI_JSON_ERROR_NUL_ESCAPE, 3);
  /* A lone surrogate is refused at its own escape. */
  assert_error_with ("[\"ab\\ud800\"]", 12, &strict, OSI_JSON_ERROR_LONE_SURROGATE, 4);
  assert_error_with ("[\"ab\\ud800x\"]", 13, &strict, OSI_JSON_ERROR_LONE_SURROGATE, 4);
  assert_error_with ("[\"ab\\ud800\\n\"]", 14, &strict, OSI_JSON_ERROR_LONE_SURROGATE, 4);
  assert_error_with ("[\"ab\\ud800\\u0041\"]", 18, &strict, OSI_JSON_ERROR_LONE_SURROGATE, 4);
  assert_error_with ("[\"ab\\ud800\\ud800\\udc00\"]", 24, &strict, OSI_JSON_ERROR_LONE_SURROGATE, 4);
  assert_error_with ("[\"ab\\udc00\"]", 12, &strict, OSI_JSON_ERROR_LONE_SURROGATE, 4);
  assert_error_with ("[\"\\ud83d\\ude00\\udc00\"]", 22, &strict, OSI_JSON_ERROR_LONE_SURROGATE, 14);
  assert_error_with ("[\"\\ud800", 8, &strict, OSI_JSON_ERROR_UNTERMINATED_STRING, 8);
  /* Keys too. */
  assert_error_with ("{\"\\udc00\":1}", 12, &strict, OSI_JSON_ERROR_LONE_SURROGATE, 2);
}

static void
test_utf8 (void)
{
  static const struct
  {
    const char *bytes;
    gssize      bad;   /* offset in bytes of the first wrong byte, or -1 */
  } cases[] = {
    { "caf\xc3\xa9", -1 },
    { "\xe2\x82\xac", -1 },
    { "\xf0\x9f\x98\x80", -1 },
    { "\xf4\x8f\xbf\xbf", -1 },
    { "\xef\xbf\xbf", -1 },           /* a noncharacter is still a character */
    { "\xc3", 1 },                    /* cut short by the quote */
    { "\xc3(", 1 },
    { "\x80", 0 },                    /* a continuation alone */
    { "\xc0\x80", 0 },                /* overlong */
    { "\xc1\xbf", 0 },
    { "\xe0\x80\x80", 1 },
    { "\xe0\x9f\xbf", 1 },
    { "\xed\xa0\x80", 1 },            /* a surrogate */
    { "\xf0\x80\x80\x80", 1 },
    { "\xf4\x90\x80\x80", 1 },        /* above U+10FFFF */
    { "\xf5\x80\x80\x80", 0 },
    { "\xff", 0 },
    { "\xe2\x82", 2 },
    { "\xf0\x9f\x98", 3 },
    { "\xf0\x9f\x98\x80\x80", 4 },
  };
  g_autoptr(GRand) rand = g_rand_new_with_seed (20260512);

  /* Each alone, and far into a long run where the bulk scan meets it. */
  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    for (guint pad = 0; pad < 70; pad += 23)
      {
        g_autofree char *padding = g_strnfill (pad, 'a');
        g_autofree char *text = g_strdup_printf ("[\"%s%s%s\"]", padding, cases[i].bytes, padding);

        if (cases[i].bad < 0)
          {
            g_autofree char *got = run_all_splits (text, strlen (text), &plain);

            g_assert_true (g_str_has_suffix (got, "] END"));
          }
        else
          assert_error_with (text, strlen (text), &plain, OSI_JSON_ERROR_INVALID_UTF8,
                             2 + pad + (guint64) cases[i].bad);
      }

  /* Random bytes in a string: accepted exactly when they are UTF-8, and
   * refused no earlier than where g_utf8_validate () stops. */
  for (guint i = 0; i < 20000; i++)
    {
      guint len = (guint) g_rand_int_range (rand, 0, 80);
      g_autoptr(GString) text = g_string_new ("\"");
      OsiJsonTokenizer tk;
      OsiJsonSpan span;
      const guint8 *p;
      const char *valid_end;
      gboolean valid;
      OsiJsonToken token;

      for (guint j = 0; j < len; j++)
        {
          guint8 c;

          /* Mostly ASCII and accents, so that long valid runs happen. */
          switch (g_rand_int_range (rand, 0, 4))
            {
            case 0:
              c = (guint8) g_rand_int_range (rand, 0x20, 0x7f);
              break;
            case 1:
              c = (guint8) g_rand_int_range (rand, 0x80, 0x100);
              break;
            default:
              g_string_append (text, j % 3 == 0 ? "\xc3\xa9" : "e");
              continue;
            }
          if (c == '"' || c == '\\')
            c = 'x';
          g_string_append_c (text, (char) c);
        }
      valid = g_utf8_validate (text->str + 1, (gssize) text->len - 1, &valid_end);
      g_string_append_c (text, '"');

      osi_json_tokenizer_init (&tk, 8, OSI_JSON_TOKENIZER_DEFAULT);
      osi_json_tokenizer_finish (&tk);
      p = (const guint8 *) text->str;
      token = osi_json_tokenizer_next (&tk, &p, (const guint8 *) text->str + text->len, &span);
      if (valid)
        {
          g_assert_cmpint (token, ==, OSI_JSON_TOKEN_STRING_PART);
          g_assert_true (span.last);
          g_assert_cmpmem (span.data, span.len, text->str + 1, text->len - 2);
        }
      else
        {
          guint64 offset;

          g_assert_cmpint (token, ==, OSI_JSON_TOKEN_ERROR);
          g_assert_cmpint (osi_json_tokenizer_get_error (&tk, &offset), ==, OSI_JSON_ERROR_INVALID_UTF8);
          g_assert_cmpuint (offset, >=, (guint64) (valid_end - text->str));
          g_assert_cmpuint (offset, <, (guint64) (valid_end - text->str) + 4);
        }
    }
}

static void
test_numbers (void)
{
  g_autoptr(GString) long_number = g_string_new ("[");
  g_autoptr(GString) max_number = g_string_new ("[-");
  g_autofree char *expected = NULL;

  assert_tokens ("[1,-1,0.5,-0.5,1e9,1E+9,1e-9,-0e0]", "[ n1 n-1 n0.5 n-0.5 n1e9 n1E+9 n1e-9 n-0e0 ] END");
  /* At the top, a number ends with the stream. */
  assert_tokens ("123", "n123 END");
  assert_tokens ("-0.25E-07 ", "n-0.25E-07 END");
  assert_tokens ("{\"a\":12}", "{ k\"a\" n12 } END");

  /* Too long to be carried, but read all the same. */
  for (guint i = 0; i < 600; i++)
    g_string_append_c (long_number, (char) ('1' + i % 9));
  g_string_append (long_number, ".5e3,7]");
  assert_tokens (long_number->str, "[ n<604> n7 ] END");

  /* OSI_JSON_NUMBER_MAX bytes are still carried. */
  for (guint i = 1; i < OSI_JSON_NUMBER_MAX; i++)
    g_string_append_c (max_number, '9');
  expected = g_strdup_printf ("[ n%s ] END", max_number->str + 1);
  g_string_append_c (max_number, ']');
  assert_tokens (max_number->str, expected);
}

static char *
nested (guint       depth,
        const char *open,
        const char *inner,
        const char *close)
{
  GString *text = g_string_new (NULL);

  for (guint i = 0; i < depth; i++)
    g_string_append (text, open);
  g_string_append (text, inner);
  for (guint i = 0; i < depth; i++)
    g_string_append (text, close);
  return g_string_free (text, FALSE);
}

static void
test_depth (void)
{
  static const Options three = { OSI_JSON_TOKENIZER_DEFAULT, 3, 0, FALSE };
  static const Options none = { OSI_JSON_TOKENIZER_DEFAULT, 0, 0, FALSE };
  static const Options deepest = { OSI_JSON_TOKENIZER_DEFAULT, OSI_JSON_MAX_DEPTH, 0, FALSE };
  g_autofree char *at_limit = nested (OSI_JSON_MAX_DEPTH, "[", "1", "]");
  g_autofree char *over = nested (OSI_JSON_MAX_DEPTH + 1, "{\"a\":", "1", "}");
  g_autofree char *got = NULL;
  g_autofree char *expected = NULL;

  assert_tokens_with ("[[[1]]]", &three, "[ [ [ n1 ] ] ] END");
  assert_tokens_with ("[{\"a\":[]},[[]]]", &three, "[ { k\"a\" [ ] } [ [ ] ] ] END");
  assert_error_with ("[[[[1]]]]", 9, &three, OSI_JSON_ERROR_TOO_DEEP, 3);
  assert_error_with ("{\"a\":{\"b\":{\"c\":{}}}}", 20, &three, OSI_JSON_ERROR_TOO_DEEP, 15);
  assert_error_with ("[[[]],[[[]]]]", 13, &three, OSI_JSON_ERROR_TOO_DEEP, 8);
  assert_tokens_with ("1", &none, "n1 END");
  assert_error_with ("[]", 2, &none, OSI_JSON_ERROR_TOO_DEEP, 0);

  got = run_whole (at_limit, strlen (at_limit), &deepest);
  g_assert_nonnull (strstr (got, "[ n1 ] ]"));
  g_assert_true (g_str_has_suffix (got, "] END"));
  g_clear_pointer (&got, g_free);
  got = run_whole (over, strlen (over), &deepest);
  expected = g_strdup_printf ("ERROR:%d@%d", OSI_JSON_ERROR_TOO_DEEP, (OSI_JSON_MAX_DEPTH) * 5);
  g_assert_cmpstr (strstr (got, "ERROR"), ==, expected);
}

/* Skipped values are checked as fully as pulled ones, the same errors at
 * the same bytes, and reading goes on right after them. */
static void
test_skip (void)
{
  static const Options skip_top = { OSI_JSON_TOKENIZER_DEFAULT, 64, 1, FALSE };
  static const Options skip_second = { OSI_JSON_TOKENIZER_DEFAULT, 64, 2, FALSE };
  static const Options skip_strings = { OSI_JSON_TOKENIZER_DEFAULT, 64, 0, TRUE };
  static const Options skip_strict = { OSI_JSON_TOKENIZER_REFUSE_NUL | OSI_JSON_TOKENIZER_REFUSE_LONE_SURROGATES,
                                       64, 2, TRUE };
  static const char * const invalid[] = {
    "[[1,{\"a\":\"\\x\"}]]", "[[\"\xff\"]]", "[{\"a\":01}]", "[[tru]]", "[[1}]", "[{\"a\" 1}]", "[[[[[",
    "[\"abc\\u12g4\"]", "[\"abc\tdef\"]", "[\"a\\", "{\"ke\xc3y\":1}",
  };
  const char *text = "{\"a\": [1, {\"b\": [\"x\\\"]\", {}]}, \"c\"], \"d\": {\"e\": null}, \"f\": \"g\\u00e9h\"}";

  assert_tokens_with (text, &skip_top, "{…} END");
  assert_tokens_with (text, &skip_second, "{ k\"a\" […] k\"d\" {…} k\"f\" s\"g\\303\\251h\" } END");
  assert_tokens_with (text, &skip_strings, "{ [ n1 { [ { } ] } ] { null } } END");
  assert_tokens_with ("\"abc\\n\"", &skip_strings, "END");
  assert_tokens_with ("[\"\\n\",\"abc\\u0041def\", 1]", &skip_strings, "[ n1 ] END");

  for (guint i = 0; i < G_N_ELEMENTS (invalid); i++)
    {
      g_autofree char *pulled = run_whole (invalid[i], strlen (invalid[i]), &plain);
      g_autofree char *skipped = run_all_splits (invalid[i], strlen (invalid[i]), &skip_second);
      g_autofree char *strings = run_all_splits (invalid[i], strlen (invalid[i]), &skip_strings);
      g_autofree char *strict = run_all_splits (invalid[i], strlen (invalid[i]), &skip_strict);

      g_assert_nonnull (strstr (pulled, "ERROR"));
      g_assert_cmpstr (strstr (skipped, "ERROR"), ==, strstr (pulled, "ERROR"));
      g_assert_cmpstr (strstr (strings, "ERROR"), ==, strstr (pulled, "ERROR"));
      g_assert_nonnull (strstr (strict, "ERROR"));
    }

  /* The strict flags hold inside what is skipped. */
  assert_error_with ("[[\"\\ud800\"]]", 12, &skip_strict, OSI_JSON_ERROR_LONE_SURROGATE, 3);
  assert_error_with ("[\"abc\\u0000\"]", 13, &skip_strict, OSI_JSON_ERROR_NUL_ESCAPE, 5);
}

/* A string without escapes in one chunk is one part, where it lies; text
 * with escapes comes in parts of at most the tokenizer's buffer. */
static void
test_parts (void)
{
  const char *text = "[\"plain text, no escape, longer than a vector of thirty-two bytes\"]";
  g_autoptr(GString) escaped = g_string_new ("\"");
  g_autoptr(GString) decoded = g_string_new (NULL);
  g_autoptr(GString) joined = g_string_new (NULL);
  OsiJsonTokenizer tk;
  OsiJsonSpan span;
  const guint8 *p = (const guint8 *) text;
  const guint8 *end = p + strlen (text);
  OsiJsonToken token;
  guint parts = 0;

  osi_json_tokenizer_init (&tk, 4, OSI_JSON_TOKENIZER_DEFAULT);
  g_assert_cmpint (osi_json_tokenizer_next (&tk, &p, end, &span), ==, OSI_JSON_TOKEN_BEGIN_ARRAY);
  g_assert_cmpint (osi_json_tokenizer_next (&tk, &p, end, &span), ==, OSI_JSON_TOKEN_STRING_PART);
  g_assert_true (span.last);
  g_assert_true (span.data == (const guint8 *) text + 2);
  g_assert_cmpuint (span.len, ==, strlen (text) - 4);
  g_assert_cmpint (osi_json_tokenizer_next (&tk, &p, end, &span), ==, OSI_JSON_TOKEN_END_ARRAY);
  g_assert_cmpint (osi_json_tokenizer_next (&tk, &p, end, &span), ==, OSI_JSON_TOKEN_END);
  /* END again for more whitespace, an error for anything else. */
  g_assert_cmpint (osi_json_tokenizer_next (&tk, &p, end, &span), ==, OSI_JSON_TOKEN_END);
  p = (const guint8 *) " \n";
  g_assert_cmpint (osi_json_tokenizer_next (&tk, &p, p + 2, &span), ==, OSI_JSON_TOKEN_END);
  p = (const guint8 *) " x";
  g_assert_cmpint (osi_json_tokenizer_next (&tk, &p, p + 2, &span), ==, OSI_JSON_TOKEN_ERROR);
  g_assert_cmpint (osi_json_tokenizer_get_error (&tk, NULL), ==, OSI_JSON_ERROR_TRAILING_DATA);
  g_assert_cmpuint (osi_json_tokenizer_get_offset (&tk), ==, strlen (text) + 3);

  /* Accented text written as ASCII escapes, between short plain runs. */
  for (guint i = 0; i < 1000; i++)
    {
      g_string_append (escaped, i % 5 == 0 ? "caf" : "\\u00e9");
      g_string_append (decoded, i % 5 == 0 ? "caf" : "é");
    }
  g_string_append_c (escaped, '"');
  osi_json_tokenizer_init (&tk, 4, OSI_JSON_TOKENIZER_DEFAULT);
  osi_json_tokenizer_finish (&tk);
  p = (const guint8 *) escaped->str;
  end = p + escaped->len;
  do
    {
      token = osi_json_tokenizer_next (&tk, &p, end, &span);
      g_assert_cmpint (token, ==, OSI_JSON_TOKEN_STRING_PART);
      g_assert_cmpuint (span.len, <=, OSI_JSON_NUMBER_MAX);
      g_string_append_len (joined, (const char *) span.data, (gssize) span.len);
      parts++;
    }
  while (!span.last);
  g_assert_cmpstr (joined->str, ==, decoded->str);
  /* Decoded escapes and the runs after them share parts. */
  g_assert_cmpuint (parts, <, 20);
  g_assert_cmpint (osi_json_tokenizer_next (&tk, &p, end, &span), ==, OSI_JSON_TOKEN_END);
}

static void
test_describe (void)
{
  static const char * const texts[] = {
    "", "\xef\xbb\xbf", "x", "{1", "{\"a\"1", "[1 1", "{\"a\":1 1", "1 1", "\"\t\"", "\"\xff\"", "\"\\x\"",
    "\"\\u0x", "\"\\u0000\"", "\"\\ud800\"", "-x", "01", "nul!", "[[", "\"", "[",
  };
  OsiJsonError seen = 0;

  for (guint i = 0; i < G_N_ELEMENTS (texts); i++)
    {
      OsiJsonTokenizer tk;
      OsiJsonSpan span;
      const guint8 *p = (const guint8 *) texts[i];
      g_autofree char *reason = NULL;
      OsiJsonError error;

      osi_json_tokenizer_init (&tk, 1, OSI_JSON_TOKENIZER_REFUSE_NUL | OSI_JSON_TOKENIZER_REFUSE_LONE_SURROGATES);
      osi_json_tokenizer_finish (&tk);
      g_assert_null (osi_json_tokenizer_describe_error (&tk));
      for (;;)
        {
          OsiJsonToken token = osi_json_tokenizer_next (&tk, &p, (const guint8 *) texts[i] + strlen (texts[i]), &span);

          g_assert_cmpint (token, !=, OSI_JSON_TOKEN_END);
          if (token == OSI_JSON_TOKEN_ERROR)
            break;
        }
      error = osi_json_tokenizer_get_error (&tk, NULL);
      /* One text per error, in the order of the enumeration. */
      g_assert_cmpint (error, ==, i + 1);
      reason = osi_json_tokenizer_describe_error (&tk);
      g_assert_nonnull (reason);
      g_assert_cmpuint (strlen (reason), >, 5);
      if (error == OSI_JSON_ERROR_TOO_DEEP)
        g_assert_nonnull (strstr (reason, "1"));
      seen = error;
    }
  g_assert_cmpint (seen, ==, OSI_JSON_ERROR_TRUNCATED);
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/json-tokenizer/tokens", test_tokens);
  g_test_add_func ("/json-tokenizer/errors", test_errors);
  g_test_add_func ("/json-tokenizer/escapes", test_escapes);
  g_test_add_func ("/json-tokenizer/utf8", test_utf8);
  g_test_add_func ("/json-tokenizer/numbers", test_numbers);
  g_test_add_func ("/json-tokenizer/depth", test_depth);
  g_test_add_func ("/json-tokenizer/skip", test_skip);
  g_test_add_func ("/json-tokenizer/parts", test_parts);
  g_test_add_func ("/json-tokenizer/describe", test_describe);

  return g_test_run ();
}
