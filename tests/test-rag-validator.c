/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <string.h>

#include <glib.h>

#include "osi-rag-validator.h"

/* Every input goes through the validator whole, byte by byte, cut once at
 * many points, and in random pieces with a fixed seed: a push parser is only
 * right if the split points never change the verdict nor the message. */

typedef struct
{
  OsiRagStatus status;
  char        *message;
  guint64      entries;
} Result;

typedef gsize (*NextChunk) (gpointer user_data,
                            gsize    pos,
                            gsize    remaining);

static void
result_clear (Result *result)
{
  g_clear_pointer (&result->message, g_free);
}

static Result
validate_with (const char *data,
               gsize       len,
               NextChunk   next,
               gpointer    user_data)
{
  g_autoptr(OsiRagValidator) validator = osi_rag_validator_new ();
  gboolean failed = FALSE;
  Result result = { 0 };
  gsize pos = 0;

  while (pos < len)
    {
      gsize n = next (user_data, pos, len - pos);
      g_autofree guint8 *chunk = NULL;
      gboolean ok;

      g_assert_cmpuint (n, >, 0);
      n = MIN (n, len - pos);
      /* An exact-size heap copy lets AddressSanitizer catch any read past
       * the end of a chunk. */
      chunk = g_memdup2 (data + pos, n);
      ok = osi_rag_validator_feed (validator, chunk, n);
      if (failed)
        g_assert_false (ok);
      failed = failed || !ok;
      pos += n;
    }

  result.status = osi_rag_validator_finish (validator, &result.message);
  result.entries = osi_rag_validator_get_entry_count (validator);

  if (failed)
    g_assert_cmpint (result.status, !=, OSI_RAG_OK);
  if (result.status == OSI_RAG_OK)
    g_assert_null (result.message);
  else
    {
      g_assert_nonnull (result.message);
      g_assert_true (g_utf8_validate (result.message, -1, NULL));
    }

  return result;
}

static gsize
next_whole (G_GNUC_UNUSED gpointer user_data,
            G_GNUC_UNUSED gsize    pos,
            gsize                  remaining)
{
  return remaining;
}

static gsize
next_byte (G_GNUC_UNUSED gpointer user_data,
           G_GNUC_UNUSED gsize    pos,
           G_GNUC_UNUSED gsize    remaining)
{
  return 1;
}

static gsize
next_cut (gpointer user_data,
          gsize    pos,
          gsize    remaining)
{
  gsize cut = GPOINTER_TO_SIZE (user_data);

  return pos < cut ? cut - pos : remaining;
}

static gsize
next_random (gpointer               user_data,
             G_GNUC_UNUSED gsize    pos,
             G_GNUC_UNUSED gsize    remaining)
{
  GRand *rand = user_data;

  /* Mostly short pieces, which land inside tokens, sometimes long ones,
   * which exercise the bulk string scanner across a boundary. */
  if (g_rand_int_range (rand, 0, 4) == 0)
    return g_rand_int_range (rand, 17, 300);
  return g_rand_int_range (rand, 1, 17);
}

static void
assert_same (const Result *a,
             const Result *b)
{
  g_assert_cmpint (a->status, ==, b->status);
  g_assert_cmpstr (a->message, ==, b->message);
  g_assert_cmpuint (a->entries, ==, b->entries);
}

/* Returns the verdict for a whole feed after checking that every other way
 * of splitting the input gives the same one. */
static Result
validate_all_splits (const char *data,
                     gsize       len)
{
  Result whole = validate_with (data, len, next_whole, NULL);
  Result other;
  g_autoptr(GRand) rand = g_rand_new_with_seed (0x5eed);
  gsize step = MAX (len / 97, 1);

  other = validate_with (data, len, next_byte, NULL);
  assert_same (&whole, &other);
  result_clear (&other);

  for (gsize cut = 1; cut < len; cut += step)
    {
      other = validate_with (data, len, next_cut, GSIZE_TO_POINTER (cut));
      assert_same (&whole, &other);
      result_clear (&other);
    }

  for (guint round = 0; round < 8; round++)
    {
      other = validate_with (data, len, next_random, rand);
      assert_same (&whole, &other);
      result_clear (&other);
    }

  return whole;
}

static const char full_base[] =
  "{\n"
  "  \"sauvegarde\": {\n"
  "    \"name\": \"sauvegarde\",\n"
  "    \"description\": \"Créer une sauvegarde complète : « archive » d’été, \\u00e9t\\u00E9 "
  "\\ud83d\\ude00 😀 \\\"cité\\\" \\\\ \\/ \\b\\f\\n\\r\\t ✓ \x7f\",\n"
  "    \"search\": \"sauvegarde archive données\",\n"
  "    \"keywords\": [\"sauvegarde\", \"archive\", \"données\"],\n"
  "    \"links\": [\"https://example.org/aide\", {\"url\": \"https://example.org\", \"title\": \"Aide\"}],\n"
  "    \"details\": {\n"
  "      \"Name\": \"Sauvegarde\",\n"
  "      \"Label\": \"Créer une sauvegarde\",\n"
  "      \"Messages\": [\n"
  "        {\n"
  "          \"Label\": \"Étape 1\",\n"
  "          \"Description\": null,\n"
  "          \"Bubbles\": [\n"
  "            {\"Text\": \"Ouvrez l’application\", \"Image\": null, \"Video\": \"https://v.example/x.mp4\", \"Order\": 1},\n"
  "            {\"Text\": null, \"Image\": \"img.png\", \"Video\": null, \"Order\": -1.5e3}\n"
  "          ],\n"
  "          \"Buttons\": [{\"Label\": \"Suivant\", \"Link\": \"https://x.example\", \"Type\": \"url\", \"Order\": 2E+10}],\n"
  "          \"Actions\": [1, \"a\", {\"k\": true}, [null]],\n"
  "          \"Cards\": [],\n"
  "          \"OpenQuestion\": false,\n"
  "          \"OpenQuestionLink\": null,\n"
  "          \"Extra\": {\"nested\": [0, -0, 0.5, 1e-7, 123456789012345678901234567890]}\n"
  "        },\n"
  "        {\"OpenQuestion\": \"Une question ?\", \"OpenQuestionLink\": \"https://q.example\"},\n"
  "        {\"OpenQuestion\": true, \"Buttons\": [{\"Label\": null, \"Link\": null, \"Type\": null}]},\n"
  "        {}\n"
  "      ],\n"
  "      \"Other\": 42\n"
  "    },\n"
  "    \"extra\": [true, false, null, \"\\u0000\"]\n"
  "  },\n"
  "  \"restauration\": {\n"
  "    \"name\": \"restauration\",\n"
  "    \"description\": \"Restaurer\",\n"
  "    \"search\": \"restaurer\",\n"
  "    \"keywords\": \"restauration\",\n"
  "    \"links\": \"https://example.org/restaurer\",\n"
  "    \"details\": {\"Name\": \"R\", \"Label\": \"L\", \"Messages\": []}\n"
  "  }\n"
  "}\n";

static const char minimal_base[] =
  "{\"a\":{\"name\":\"\",\"description\":\"\",\"search\":\"\",\"keywords\":[],\"links\":[],"
  "\"details\":{\"Name\":\"\",\"Label\":\"\",\"Messages\":[]}}}";

/* Long enough to span several of the validator's 32-byte windows, with one-,
 * two-, three- and four-byte characters at varying offsets. */
#define LONG_TEXT "Créer une sauvegarde complète : « archive » d’été, où ça ? Très bien ! 😀 " \
                  "Les paramètres sont conservés à l’identique ; l’opération peut être répétée. ✓ "

typedef struct
{
  const char  *path;
  /* With find, the input is full_base with its one occurrence of find
   * replaced; without, the input is replace itself. */
  const char  *find;
  const char  *replace;
  OsiRagStatus status;
  /* A substring the message must contain. */
  const char  *expect;
  /* For invalid JSON, the part of replace before the offending byte. */
  const char  *before;
  gint64       entries;
  /* For inputs with a NUL byte; otherwise the length of replace. */
  gsize        len;
} Case;

#define OK_CASE(p, f, r)            { p, f, r, OSI_RAG_OK, NULL, NULL, -1, 0 }
#define JSON_CASE(p, f, r, b, m)    { p, f, r, OSI_RAG_INVALID_JSON, m, b, -1, 0 }
#define SCHEMA_CASE(p, f, r, m)     { p, f, r, OSI_RAG_INVALID_SCHEMA, m, NULL, -1, 0 }

static const Case cases[] = {
  /* Valid */
  { "/rag-validator/valid/full", NULL, full_base, OSI_RAG_OK, NULL, NULL, 2, 0 },
  { "/rag-validator/valid/minimal", NULL, minimal_base, OSI_RAG_OK, NULL, NULL, 1, 0 },
  { "/rag-validator/valid/empty-object", NULL, "{}", OSI_RAG_OK, NULL, NULL, 0, 0 },
  { "/rag-validator/valid/empty-object-whitespace", NULL, " \t\r\n{ \n}\r\n\t ", OSI_RAG_OK, NULL, NULL, 0, 0 },
  OK_CASE ("/rag-validator/valid/escaped-key", "\"name\": \"sauvegarde\"", "\"n\\u0061me\": \"sauvegarde\""),
  OK_CASE ("/rag-validator/valid/lone-surrogates", "\"Other\": 42",
           "\"Other\": \"\\ud800 \\udc00 \\ud800\\ud800 \\uDBFF\\uDFFF\""),
  OK_CASE ("/rag-validator/valid/numbers", "\"Other\": 42",
           "\"Other\": [0, -0, 0.0, 0e0, 0E-0, 1e+2, -12.34e-56, 9007199254740993, 10]"),
  OK_CASE ("/rag-validator/valid/utf8-boundaries", "\"Other\": 42",
           "\"Other\": \"\xc2\x80 \xdf\xbf \xe0\xa0\x80 \xed\x9f\xbf \xee\x80\x80 \xef\xbf\xbf "
           "\xf0\x90\x80\x80 \xf4\x8f\xbf\xbf\""),
  OK_CASE ("/rag-validator/valid/utf8-key", "\"Other\": 42", "\"Autre clé ✓ 😀\": 42"),
  OK_CASE ("/rag-validator/valid/long-text", "\"Other\": 42", "\"Other\": \"" LONG_TEXT LONG_TEXT "\""),
  OK_CASE ("/rag-validator/valid/extra-keys", "\"Other\": 42", "\"Other\": {\"Name\": 1, \"Messages\": {}}"),
  OK_CASE ("/rag-validator/valid/duplicate-field", "\"name\": \"sauvegarde\"",
           "\"name\": \"sauvegarde\", \"name\": \"encore\""),

  /* Invalid JSON, whole inputs */
  JSON_CASE ("/rag-validator/json/empty", NULL, "", NULL, "The knowledge base is empty"),
  JSON_CASE ("/rag-validator/json/whitespace-only", NULL, " \n\t", " \n\t", "unexpected end of data"),
  JSON_CASE ("/rag-validator/json/bom", NULL, "\xef\xbb\xbf{}", "", "byte order mark"),
  JSON_CASE ("/rag-validator/json/two-values", NULL, "{} {}", "{} ", "after the top-level value"),
  JSON_CASE ("/rag-validator/json/trailing-garbage", NULL, "{}x", "{}", "after the top-level value"),
  { "/rag-validator/json/trailing-nul", NULL, "{}\n\0", OSI_RAG_INVALID_JSON, "after the top-level value", "{}\n", -1, 4 },
  JSON_CASE ("/rag-validator/json/open-brace", NULL, "{", "{", "unexpected end of data"),
  JSON_CASE ("/rag-validator/json/open-key", NULL, "{\"a", "{\"a", "unterminated string"),
  JSON_CASE ("/rag-validator/json/key-no-colon", NULL, "{\"a\"", "{\"a\"", "unexpected end of data"),
  JSON_CASE ("/rag-validator/json/key-colon", NULL, "{\"a\":", "{\"a\":", "unexpected end of data"),
  JSON_CASE ("/rag-validator/json/close-bracket", NULL, "{]", "{", "expected a member name"),
  JSON_CASE ("/rag-validator/json/not-json", NULL, "<html>", "", "expected a value"),

  /* Invalid JSON inside a valid base, where the schema accepts anything */
  JSON_CASE ("/rag-validator/json/leading-zero", "\"Other\": 42", "\"Other\": 042", "\"Other\": 0",
             "leading zeros are not allowed"),
  JSON_CASE ("/rag-validator/json/leading-zero-negative", "\"Other\": 42", "\"Other\": -01", "\"Other\": -0", "leading zeros"),
  JSON_CASE ("/rag-validator/json/lone-minus", "\"Other\": 42", "\"Other\": -\n", "\"Other\": -", "invalid number"),
  JSON_CASE ("/rag-validator/json/minus-letter", "\"Other\": 42", "\"Other\": -a", "\"Other\": -", "invalid number"),
  JSON_CASE ("/rag-validator/json/double-minus", "\"Other\": 42", "\"Other\": --1", "\"Other\": -", "invalid number"),
  JSON_CASE ("/rag-validator/json/dot-no-digit", "\"Other\": 42", "\"Other\": 1.}", "\"Other\": 1.", "invalid number"),
  JSON_CASE ("/rag-validator/json/dot-exp", "\"Other\": 42", "\"Other\": 1.e5", "\"Other\": 1.", "invalid number"),
  JSON_CASE ("/rag-validator/json/leading-dot", "\"Other\": 42", "\"Other\": .5", "\"Other\": ", "expected a value"),
  JSON_CASE ("/rag-validator/json/plus", "\"Other\": 42", "\"Other\": +1", "\"Other\": ", "expected a value"),
  JSON_CASE ("/rag-validator/json/exp-no-digit", "\"Other\": 42", "\"Other\": 1e\n", "\"Other\": 1e", "invalid number"),
  JSON_CASE ("/rag-validator/json/exp-sign-no-digit", "\"Other\": 42", "\"Other\": 1E+}", "\"Other\": 1E+", "invalid number"),
  JSON_CASE ("/rag-validator/json/hex", "\"Other\": 42", "\"Other\": 0x10", "\"Other\": 0", "expected “,” or “}”"),
  JSON_CASE ("/rag-validator/json/nan", "\"Other\": 42", "\"Other\": NaN", "\"Other\": ", "expected a value"),
  JSON_CASE ("/rag-validator/json/infinity", "\"Other\": 42", "\"Other\": -Infinity", "\"Other\": -", "invalid number"),
  JSON_CASE ("/rag-validator/json/tru", "\"Other\": 42", "\"Other\": tru\n", "\"Other\": tru", "invalid literal"),
  JSON_CASE ("/rag-validator/json/nul", "\"Other\": 42", "\"Other\": nul}", "\"Other\": nul", "invalid literal"),
  JSON_CASE ("/rag-validator/json/True", "\"Other\": 42", "\"Other\": True", "\"Other\": ", "expected a value"),
  JSON_CASE ("/rag-validator/json/falsey", "\"Other\": 42", "\"Other\": falsey", "\"Other\": false", "expected “,” or “}”"),
  JSON_CASE ("/rag-validator/json/single-quotes", "\"Other\": 42", "\"Other\": 'a'", "\"Other\": ", "expected a value"),
  JSON_CASE ("/rag-validator/json/bad-escape-x", "\"Other\": 42", "\"Other\": \"a\\x41\"", "\"Other\": \"a\\", "invalid escape"),
  JSON_CASE ("/rag-validator/json/bad-escape-U", "\"Other\": 42", "\"Other\": \"\\U0041\"", "\"Other\": \"\\", "invalid escape"),
  JSON_CASE ("/rag-validator/json/bad-escape-quote", "\"Other\": 42", "\"Other\": \"\\'\"", "\"Other\": \"\\", "invalid escape"),
  JSON_CASE ("/rag-validator/json/bad-unicode-hex", "\"Other\": 42", "\"Other\": \"\\u00G0\"", "\"Other\": \"\\u00", "\\u escape"),
  JSON_CASE ("/rag-validator/json/short-unicode", "\"Other\": 42", "\"Other\": \"\\u12\"", "\"Other\": \"\\u12", "\\u escape"),
  JSON_CASE ("/rag-validator/json/bad-escape-in-key", "\"Other\": 42", "\"Oth\\er\": 42", "\"Oth\\", "invalid escape"),
  JSON_CASE ("/rag-validator/json/control-char", "\"Other\": 42", "\"Other\": \"a\x01z\"", "\"Other\": \"a", "control character"),
  JSON_CASE ("/rag-validator/json/raw-newline", "\"Other\": 42", "\"Other\": \"a\nz\"", "\"Other\": \"a", "control character"),
  JSON_CASE ("/rag-validator/json/raw-tab-in-key", "\"Other\": 42", "\"Oth\ter\": 42", "\"Oth", "control character"),
  JSON_CASE ("/rag-validator/json/control-char-1f", "\"name\": \"sauvegarde\"", "\"name\": \"sauve\x1fgarde\"", "\"name\": \"sauve",
             "control character"),
  JSON_CASE ("/rag-validator/json/utf8-bad-continuation", "\"Other\": 42", "\"Other\": \"caf\xc3(\"", "\"Other\": \"caf\xc3", "invalid UTF-8"),
  JSON_CASE ("/rag-validator/json/utf8-truncated-2", "\"Other\": 42", "\"Other\": \"caf\xc3\"", "\"Other\": \"caf\xc3", "invalid UTF-8"),
  JSON_CASE ("/rag-validator/json/utf8-truncated-3", "\"Other\": 42", "\"Other\": \"\xe2\x82\"", "\"Other\": \"\xe2\x82", "invalid UTF-8"),
  JSON_CASE ("/rag-validator/json/utf8-truncated-4", "\"Other\": 42", "\"Other\": \"\xf0\x9f\x98 \"", "\"Other\": \"\xf0\x9f\x98", "invalid UTF-8"),
  JSON_CASE ("/rag-validator/json/utf8-overlong-2", "\"Other\": 42", "\"Other\": \"\xc0\xaf\"", "\"Other\": \"", "invalid UTF-8"),
  JSON_CASE ("/rag-validator/json/utf8-overlong-2-c1", "\"Other\": 42", "\"Other\": \"\xc1\xbf\"", "\"Other\": \"", "invalid UTF-8"),
  JSON_CASE ("/rag-validator/json/utf8-overlong-3", "\"Other\": 42", "\"Other\": \"\xe0\x80\xaf\"", "\"Other\": \"\xe0", "invalid UTF-8"),
  JSON_CASE ("/rag-validator/json/utf8-overlong-3-high", "\"Other\": 42", "\"Other\": \"\xe0\x9f\xbf\"", "\"Other\": \"\xe0",
             "invalid UTF-8"),
  JSON_CASE ("/rag-validator/json/utf8-overlong-4", "\"Other\": 42", "\"Other\": \"\xf0\x8f\xbf\xbf\"", "\"Other\": \"\xf0",
             "invalid UTF-8"),
  JSON_CASE ("/rag-validator/json/utf8-surrogate", "\"Other\": 42", "\"Other\": \"\xed\xa0\x80\"", "\"Other\": \"\xed", "invalid UTF-8"),
  JSON_CASE ("/rag-validator/json/utf8-surrogate-low", "\"Other\": 42", "\"Other\": \"\xed\xbf\xbf\"", "\"Other\": \"\xed",
             "invalid UTF-8"),
  JSON_CASE ("/rag-validator/json/utf8-too-big", "\"Other\": 42", "\"Other\": \"\xf4\x90\x80\x80\"", "\"Other\": \"\xf4", "invalid UTF-8"),
  JSON_CASE ("/rag-validator/json/utf8-f5", "\"Other\": 42", "\"Other\": \"\xf5\x80\x80\x80\"", "\"Other\": \"", "invalid UTF-8"),
  JSON_CASE ("/rag-validator/json/utf8-ff", "\"Other\": 42", "\"Other\": \"\xff\"", "\"Other\": \"", "invalid UTF-8"),
  JSON_CASE ("/rag-validator/json/utf8-lone-continuation", "\"Other\": 42", "\"Other\": \"a\x80\"", "\"Other\": \"a", "invalid UTF-8"),
  JSON_CASE ("/rag-validator/json/utf8-in-key", "\"Other\": 42", "\"Oth\xe9r\": 42", "\"Oth\xe9", "invalid UTF-8"),
  JSON_CASE ("/rag-validator/json/utf8-in-entry-name", "\"restauration\": {", "\"restaur\xe9\": {", "\"restaur\xe9",
             "invalid UTF-8"),
  JSON_CASE ("/rag-validator/json/utf8-overlong-in-long-text", "\"Other\": 42",
             "\"Other\": \"" LONG_TEXT "\xe0\x80\xaf" LONG_TEXT "\"", "\"Other\": \"" LONG_TEXT "\xe0", "invalid UTF-8"),
  JSON_CASE ("/rag-validator/json/utf8-truncated-in-long-text", "\"Other\": 42",
             "\"Other\": \"" LONG_TEXT "\xf0\x9f\x98" LONG_TEXT "\"", "\"Other\": \"" LONG_TEXT "\xf0\x9f\x98",
             "invalid UTF-8"),
  JSON_CASE ("/rag-validator/json/control-in-long-text", "\"Other\": 42",
             "\"Other\": \"" LONG_TEXT "\x1b" LONG_TEXT "\"", "\"Other\": \"" LONG_TEXT, "control character"),
  JSON_CASE ("/rag-validator/json/utf8-outside-string", "\"Other\": 42", "\"Other\": \xc3\xa9", "\"Other\": ", "expected a value"),
  JSON_CASE ("/rag-validator/json/missing-colon", "\"Other\": 42", "\"Other\" 42", "\"Other\" ", "expected “:”"),
  JSON_CASE ("/rag-validator/json/missing-comma", "\"Other\": 42", "\"Other\": 42 \"x\": 1", "\"Other\": 42 ", "expected “,” or “}”"),
  JSON_CASE ("/rag-validator/json/missing-comma-array", "\"Cards\": []", "\"Cards\": [1 2]", "\"Cards\": [1 ", "expected “,” or “]”"),
  JSON_CASE ("/rag-validator/json/trailing-comma-object", "\"Other\": 42", "\"Other\": 42,\n}", "\"Other\": 42,\n", "expected a member name"),
  JSON_CASE ("/rag-validator/json/trailing-comma-array", "\"Cards\": []", "\"Cards\": [1,]", "\"Cards\": [1,", "expected a value"),
  JSON_CASE ("/rag-validator/json/mismatched-close", "\"Cards\": []", "\"Cards\": [}", "\"Cards\": [", "expected a value"),
  JSON_CASE ("/rag-validator/json/mismatched-close-2", "\"Cards\": []", "\"Cards\": [1}", "\"Cards\": [1", "expected “,” or “]”"),
  JSON_CASE ("/rag-validator/json/number-key", "\"Other\": 42", "\"Other\": {1: 2}", "\"Other\": {", "expected a member name"),
  JSON_CASE ("/rag-validator/json/empty-value", "\"Other\": 42", "\"Other\": , \"x\": 1", "\"Other\": ", "expected a value"),
  JSON_CASE ("/rag-validator/json/unclosed", "\n}\n", "\n", "\n", "unexpected end of data"),

  /* Invalid schema, whole inputs */
  SCHEMA_CASE ("/rag-validator/schema/root-array", NULL, "[]", "The knowledge base must be a JSON object"),
  SCHEMA_CASE ("/rag-validator/schema/root-string", NULL, "\"x\"", "The knowledge base must be a JSON object"),
  SCHEMA_CASE ("/rag-validator/schema/root-number", NULL, " 1", "The knowledge base must be a JSON object"),
  SCHEMA_CASE ("/rag-validator/schema/root-null", NULL, "null", "The knowledge base must be a JSON object"),
  SCHEMA_CASE ("/rag-validator/schema/entry-number", NULL, "{\"a\": 1}", "Entry “a” must be a JSON object"),
  SCHEMA_CASE ("/rag-validator/schema/entry-empty", NULL, "{\"a\": {}}", "Entry “a”: field “name” is missing"),
  SCHEMA_CASE ("/rag-validator/schema/entry-array", "\"restauration\": {", "\"restauration\": [], \"r2\": {",
               "Entry “restauration” must be a JSON object"),
  SCHEMA_CASE ("/rag-validator/schema/entry-string", "\"restauration\": {", "\"restauration\": \"x\", \"r2\": {",
               "Entry “restauration” must be a JSON object"),

  /* A required field is renamed away: reported when the object closes. */
  SCHEMA_CASE ("/rag-validator/schema/missing-name", "\"name\": \"sauvegarde\"", "\"nom\": \"sauvegarde\"",
               "Entry “sauvegarde”: field “name” is missing"),
  SCHEMA_CASE ("/rag-validator/schema/missing-description", "\"description\": \"Cr", "\"descriptio\": \"Cr",
               "Entry “sauvegarde”: field “description” is missing"),
  SCHEMA_CASE ("/rag-validator/schema/missing-search", "\"search\": \"sauvegarde", "\"Search\": \"sauvegarde",
               "Entry “sauvegarde”: field “search” is missing"),
  SCHEMA_CASE ("/rag-validator/schema/missing-keywords", "\"keywords\": [", "\"keyword\": [",
               "Entry “sauvegarde”: field “keywords” is missing"),
  SCHEMA_CASE ("/rag-validator/schema/missing-links", "\"links\": [", "\"link\": [",
               "Entry “sauvegarde”: field “links” is missing"),
  SCHEMA_CASE ("/rag-validator/schema/missing-details", "\"details\": {\n", "\"detail\": {\n",
               "Entry “sauvegarde”: field “details” is missing"),
  SCHEMA_CASE ("/rag-validator/schema/missing-details-name", "\"Name\": \"Sauvegarde\"", "\"name\": \"Sauvegarde\"",
               "Entry “sauvegarde”: field “details.Name” is missing"),
  SCHEMA_CASE ("/rag-validator/schema/missing-details-label", "\"Label\": \"Créer une", "\"Labels\": \"Créer une",
               "Entry “sauvegarde”: field “details.Label” is missing"),
  SCHEMA_CASE ("/rag-validator/schema/missing-details-messages", "\"Messages\": [\n", "\"Message\": [\n",
               "Entry “sauvegarde”: field “details.Messages” is missing"),
  SCHEMA_CASE ("/rag-validator/schema/missing-in-second-entry", "\"Messages\": []", "\"Msgs\": []",
               "Entry “restauration”: field “details.Messages” is missing"),

  /* A wrong value is inserted before the right one: reported at once. */
  SCHEMA_CASE ("/rag-validator/schema/name-number", "\"name\": \"sauvegarde\"", "\"name\": 1",
               "Entry “sauvegarde”: field “name” must be a string"),
  SCHEMA_CASE ("/rag-validator/schema/description-null", "\"description\": \"Cr", "\"description\": null, \"z\": \"Cr",
               "Entry “sauvegarde”: field “description” must be a string"),
  SCHEMA_CASE ("/rag-validator/schema/search-array", "\"search\": \"sauvegarde", "\"search\": [\"x\"], \"z\": \"sauvegarde",
               "Entry “sauvegarde”: field “search” must be a string"),
  SCHEMA_CASE ("/rag-validator/schema/keywords-number", "\"keywords\": [", "\"keywords\": 3, \"z\": [",
               "Entry “sauvegarde”: field “keywords” must be an array or a string"),
  SCHEMA_CASE ("/rag-validator/schema/keywords-element", "\"keywords\": [", "\"keywords\": [\"a\", 5, ",
               "Entry “sauvegarde”: field “keywords[1]” must be a string"),
  SCHEMA_CASE ("/rag-validator/schema/keywords-null-second", "\"keywords\": \"restauration\"", "\"keywords\": null",
               "Entry “restauration”: field “keywords” must be an array or a string"),
  SCHEMA_CASE ("/rag-validator/schema/links-object", "\"links\": [", "\"links\": {}, \"z\": [",
               "Entry “sauvegarde”: field “links” must be an array or a string"),
  SCHEMA_CASE ("/rag-validator/schema/links-element-bool", "\"links\": [", "\"links\": [true, ",
               "Entry “sauvegarde”: field “links[0]” must be a string or an object"),
  SCHEMA_CASE ("/rag-validator/schema/links-element-array", "\"links\": [", "\"links\": [\"x\", [], ",
               "Entry “sauvegarde”: field “links[1]” must be a string or an object"),
  SCHEMA_CASE ("/rag-validator/schema/details-string", "\"details\": {\n", "\"details\": \"x\", \"z\": {\n",
               "Entry “sauvegarde”: field “details” must be an object"),
  SCHEMA_CASE ("/rag-validator/schema/details-array", "\"details\": {\"Name", "\"details\": [], \"z\": {\"Name",
               "Entry “restauration”: field “details” must be an object"),
  SCHEMA_CASE ("/rag-validator/schema/details-name-null", "\"Name\": \"Sauvegarde\"", "\"Name\": null",
               "Entry “sauvegarde”: field “details.Name” must be a string"),
  SCHEMA_CASE ("/rag-validator/schema/details-label-number", "\"Label\": \"Créer une sauvegarde\"", "\"Label\": 7",
               "Entry “sauvegarde”: field “details.Label” must be a string"),
  SCHEMA_CASE ("/rag-validator/schema/messages-object", "\"Messages\": [\n", "\"Messages\": {}, \"z\": [\n",
               "Entry “sauvegarde”: field “details.Messages” must be an array"),
  SCHEMA_CASE ("/rag-validator/schema/messages-null", "\"Messages\": []", "\"Messages\": null",
               "Entry “restauration”: field “details.Messages” must be an array"),
  SCHEMA_CASE ("/rag-validator/schema/message-string", "\"Messages\": [\n", "\"Messages\": [\"x\", ",
               "Entry “sauvegarde”: field “details.Messages[0]” must be an object"),
  SCHEMA_CASE ("/rag-validator/schema/message-array", "{}\n      ]", "[]\n      ]",
               "Entry “sauvegarde”: field “details.Messages[3]” must be an object"),
  SCHEMA_CASE ("/rag-validator/schema/message-label", "\"Label\": \"Étape 1\"", "\"Label\": false",
               "Entry “sauvegarde”: field “details.Messages[0].Label” must be a string or null"),
  SCHEMA_CASE ("/rag-validator/schema/message-description", "\"Description\": null", "\"Description\": 0",
               "Entry “sauvegarde”: field “details.Messages[0].Description” must be a string or null"),
  SCHEMA_CASE ("/rag-validator/schema/bubbles-object", "\"Bubbles\": [", "\"Bubbles\": {}, \"z\": [",
               "Entry “sauvegarde”: field “details.Messages[0].Bubbles” must be an array"),
  SCHEMA_CASE ("/rag-validator/schema/bubble-null", "\"Bubbles\": [", "\"Bubbles\": [null, ",
               "Entry “sauvegarde”: field “details.Messages[0].Bubbles[0]” must be an object"),
  SCHEMA_CASE ("/rag-validator/schema/bubble-text", "\"Text\": null", "\"Text\": 1",
               "Entry “sauvegarde”: field “details.Messages[0].Bubbles[1].Text” must be a string or null"),
  SCHEMA_CASE ("/rag-validator/schema/bubble-image", "\"Image\": null", "\"Image\": []",
               "Entry “sauvegarde”: field “details.Messages[0].Bubbles[0].Image” must be a string or null"),
  SCHEMA_CASE ("/rag-validator/schema/bubble-video", "\"Video\": null", "\"Video\": {}",
               "Entry “sauvegarde”: field “details.Messages[0].Bubbles[1].Video” must be a string or null"),
  SCHEMA_CASE ("/rag-validator/schema/bubble-order-string", "\"Order\": 1}", "\"Order\": \"1\"}",
               "Entry “sauvegarde”: field “details.Messages[0].Bubbles[0].Order” must be a number"),
  SCHEMA_CASE ("/rag-validator/schema/bubble-order-null", "\"Order\": -1.5e3", "\"Order\": null",
               "Entry “sauvegarde”: field “details.Messages[0].Bubbles[1].Order” must be a number"),
  SCHEMA_CASE ("/rag-validator/schema/buttons-string", "\"Buttons\": [{\"Label\": \"Suivant\"",
               "\"Buttons\": \"x\", \"z\": [{\"Label\": \"Suivant\"",
               "Entry “sauvegarde”: field “details.Messages[0].Buttons” must be an array"),
  SCHEMA_CASE ("/rag-validator/schema/button-number", "\"Buttons\": [{\"Label\": \"Suivant\"",
               "\"Buttons\": [1, {\"Label\": \"Suivant\"",
               "Entry “sauvegarde”: field “details.Messages[0].Buttons[0]” must be an object"),
  SCHEMA_CASE ("/rag-validator/schema/button-label", "\"Label\": \"Suivant\"", "\"Label\": 1",
               "Entry “sauvegarde”: field “details.Messages[0].Buttons[0].Label” must be a string or null"),
  SCHEMA_CASE ("/rag-validator/schema/button-link", "\"Link\": \"https://x.example\"", "\"Link\": true",
               "Entry “sauvegarde”: field “details.Messages[0].Buttons[0].Link” must be a string or null"),
  SCHEMA_CASE ("/rag-validator/schema/button-type", "\"Type\": \"url\"", "\"Type\": 0",
               "Entry “sauvegarde”: field “details.Messages[0].Buttons[0].Type” must be a string or null"),
  SCHEMA_CASE ("/rag-validator/schema/button-type-third", "\"Type\": null", "\"Type\": 1",
               "Entry “sauvegarde”: field “details.Messages[2].Buttons[0].Type” must be a string or null"),
  SCHEMA_CASE ("/rag-validator/schema/button-order", "\"Order\": 2E+10", "\"Order\": \"2\"",
               "Entry “sauvegarde”: field “details.Messages[0].Buttons[0].Order” must be a number"),
  SCHEMA_CASE ("/rag-validator/schema/actions-object", "\"Actions\": [", "\"Actions\": {}, \"z\": [",
               "Entry “sauvegarde”: field “details.Messages[0].Actions” must be an array"),
  SCHEMA_CASE ("/rag-validator/schema/cards-null", "\"Cards\": []", "\"Cards\": null",
               "Entry “sauvegarde”: field “details.Messages[0].Cards” must be an array"),
  SCHEMA_CASE ("/rag-validator/schema/open-question-number", "\"OpenQuestion\": false", "\"OpenQuestion\": 0",
               "Entry “sauvegarde”: field “details.Messages[0].OpenQuestion” must be a boolean, a string or null"),
  SCHEMA_CASE ("/rag-validator/schema/open-question-array", "\"OpenQuestion\": \"Une", "\"OpenQuestion\": [], \"z\": \"Une",
               "Entry “sauvegarde”: field “details.Messages[1].OpenQuestion” must be a boolean, a string or null"),
  SCHEMA_CASE ("/rag-validator/schema/open-question-link", "\"OpenQuestionLink\": null", "\"OpenQuestionLink\": false",
               "Entry “sauvegarde”: field “details.Messages[0].OpenQuestionLink” must be a string or null"),
  SCHEMA_CASE ("/rag-validator/schema/escaped-field-name", "\"name\": \"sauvegarde\"", "\"n\\u0061me\": 2",
               "Entry “sauvegarde”: field “name” must be a string"),
};

static char *
case_input (const Case *c,
            gsize      *len,
            gsize      *error_at)
{
  gsize replace_len = c->len > 0 ? c->len : strlen (c->replace);
  const char *hit;
  GString *input;

  if (c->before != NULL)
    g_assert_true (g_str_has_prefix (c->replace, c->before));

  if (c->find == NULL)
    {
      *len = replace_len;
      *error_at = c->before != NULL ? strlen (c->before) : 0;
      return g_memdup2 (c->replace, replace_len + 1);
    }

  hit = strstr (full_base, c->find);
  g_assert_nonnull (hit);
  /* A find that is not unique would make the case test something else. */
  g_assert_null (strstr (hit + 1, c->find));

  input = g_string_new_len (full_base, hit - full_base);
  *error_at = input->len + (c->before != NULL ? strlen (c->before) : 0);
  g_string_append_len (input, c->replace, replace_len);
  g_string_append (input, hit + strlen (c->find));
  *len = input->len;

  return g_string_free (input, FALSE);
}

static void
test_case (gconstpointer data)
{
  const Case *c = data;
  gsize len;
  gsize error_at;
  g_autofree char *input = case_input (c, &len, &error_at);
  Result result = validate_all_splits (input, len);

  g_test_message ("verdict: %s", result.message ? result.message : "OK");
  g_assert_cmpint (result.status, ==, c->status);

  if (c->expect != NULL)
    g_assert_nonnull (strstr (result.message, c->expect));

  if (c->status == OSI_RAG_INVALID_JSON && c->before != NULL)
    {
      g_autofree char *where = g_strdup_printf ("at byte %" G_GSIZE_FORMAT ": ", error_at);

      g_assert_nonnull (strstr (result.message, where));
    }

  if (c->entries >= 0)
    g_assert_cmpuint (result.entries, ==, (guint64) c->entries);

  result_clear (&result);
}

/* Every proper prefix of a valid base is a truncated file. */
static void
test_truncated_everywhere (void)
{
  gsize full = strlen (full_base);

  g_assert_cmpint (full_base[full - 1], ==, '\n');

  for (gsize len = 0; len < full - 1; len++)
    {
      Result whole = validate_with (full_base, len, next_whole, NULL);
      Result bytes = validate_with (full_base, len, next_byte, NULL);

      assert_same (&whole, &bytes);
      g_assert_cmpint (whole.status, ==, OSI_RAG_INVALID_JSON);
      if (len == 0)
        g_assert_cmpstr (whole.message, ==, "The knowledge base is empty");
      else
        {
          g_autofree char *end = g_strdup_printf ("Invalid JSON at byte %" G_GSIZE_FORMAT ": unexpected end of data", len);
          g_autofree char *string = g_strdup_printf ("Invalid JSON at byte %" G_GSIZE_FORMAT ": unterminated string", len);

          if (!g_str_equal (whole.message, end) && !g_str_equal (whole.message, string))
            g_error ("prefix of %" G_GSIZE_FORMAT " bytes: %s", len, whole.message);
        }

      result_clear (&whole);
      result_clear (&bytes);
    }
}

static char *
nested_input (guint levels)
{
  GString *s = g_string_new (minimal_base);
  g_autofree char *open = g_strnfill (levels, '[');
  g_autofree char *close = g_strnfill (levels, ']');

  /* Inside an extra member of an entry the schema accepts anything, so
   * only the nesting limit can fail. */
  g_string_insert (s, strlen ("{\"a\":{"), "\"x\":,");
  g_string_insert (s, strlen ("{\"a\":{\"x\":"), close);
  g_string_insert (s, strlen ("{\"a\":{\"x\":"), open);

  return g_string_free (s, FALSE);
}

static void
test_deep_nesting (void)
{
  /* The root and the entry take two of the 64 levels. */
  struct { guint levels; OsiRagStatus status; } checks[] = {
    { 62, OSI_RAG_OK },
    { 63, OSI_RAG_INVALID_JSON },
    { 1000, OSI_RAG_INVALID_JSON },
  };

  for (guint i = 0; i < G_N_ELEMENTS (checks); i++)
    {
      g_autofree char *input = nested_input (checks[i].levels);
      Result result = validate_all_splits (input, strlen (input));

      g_assert_cmpint (result.status, ==, checks[i].status);
      if (checks[i].status != OSI_RAG_OK)
        {
          /* The first bracket past the limit. */
          g_autofree char *expected =
            g_strdup_printf ("Invalid JSON at byte %" G_GSIZE_FORMAT ": nested deeper than 64 levels",
                             strlen ("{\"a\":{\"x\":") + 62);

          g_assert_cmpstr (result.message, ==, expected);
        }
      result_clear (&result);
    }
}

static void
test_entry_count (void)
{
  GString *s = g_string_new ("{");
  g_autofree char *input = NULL;
  const char *entry = minimal_base + strlen ("{\"a\":");
  gsize entry_len = strlen (entry) - 1;
  Result result;

  for (guint i = 0; i < 1000; i++)
    {
      if (i > 0)
        g_string_append_c (s, ',');
      /* Some names repeat: duplicates are counted, not tracked. */
      g_string_append_printf (s, "\n\"entrée %u\": ", i % 700);
      g_string_append_len (s, entry, entry_len);
    }
  g_string_append (s, "\n}");
  input = g_string_free (s, FALSE);

  result = validate_all_splits (input, strlen (input));
  g_assert_cmpint (result.status, ==, OSI_RAG_OK);
  g_assert_cmpuint (result.entries, ==, 1000);
  result_clear (&result);
}

static void
test_long_entry_name (void)
{
  GString *s = g_string_new ("{\"");
  g_autofree char *input = NULL;
  Result result;

  /* 300 two-byte characters, so a byte cap would split one in half. */
  for (guint i = 0; i < 300; i++)
    g_string_append (s, "é");
  g_string_append (s, "\": {}}");
  input = g_string_free (s, FALSE);

  result = validate_all_splits (input, strlen (input));
  g_assert_cmpint (result.status, ==, OSI_RAG_INVALID_SCHEMA);
  g_assert_true (g_str_has_prefix (result.message, "Entry “éééé"));
  g_assert_true (g_str_has_suffix (result.message, "é…”: field “name” is missing"));
  g_assert_cmpuint (strlen (result.message), <, 250);
  result_clear (&result);
}

static void
test_long_key_not_matched (void)
{
  g_autofree char *padding = g_strnfill (300, 'e');
  g_autofree char *input = g_strdup_printf ("{\"a\":{\"nam%s\":1,\"name\":\"\",\"description\":\"\",\"search\":\"\","
                                            "\"keywords\":[],\"links\":[],\"details\":{\"Name\":\"\",\"Label\":\"\","
                                            "\"Messages\":[]}}}",
                                            padding);
  Result result = validate_all_splits (input, strlen (input));

  g_assert_cmpint (result.status, ==, OSI_RAG_OK);
  result_clear (&result);
}

static void
test_escaped_entry_name (void)
{
  const char input[] = "{\"caf\\u00e9 \\ud83d\\ude00 \\ud800 \\u0000\": 1}";
  Result result = validate_all_splits (input, strlen (input));

  g_assert_cmpint (result.status, ==, OSI_RAG_INVALID_SCHEMA);
  g_assert_cmpstr (result.message, ==, "Entry “café 😀 \xef\xbf\xbd \xef\xbf\xbd” must be a JSON object");
  result_clear (&result);
}

/* Random strings of valid and broken UTF-8 pieces, checked against GLib's
 * own validator. */
static void
test_utf8_against_glib (void)
{
  static const char *const pieces[] = {
    "a", "bc", "plain ASCII text ", "\xc3\xa9", "\xc2\xab", "\xdf\xbf", "\xe2\x80\x99", "\xe0\xa0\x80",
    "\xed\x9f\xbf", "\xee\x80\x80", "\xef\xbf\xbf", "\xf0\x90\x80\x80", "\xf0\x9f\x98\x80", "\xf4\x8f\xbf\xbf",
  };
  static const char *const broken[] = {
    "\x80", "\xbf", "\xc0\x80", "\xc1\xbf", "\xc3", "\xe2\x80", "\xe0\x80\x80", "\xe0\x9f\xbf", "\xed\xa0\x80",
    "\xed\xbf\xbf", "\xf0\x80\x80\x80", "\xf0\x8f\xbf\xbf", "\xf4\x90\x80\x80", "\xf5\x80\x80\x80", "\xff",
    "\xf0\x9f\x98",
  };
  g_autoptr(GRand) rand = g_rand_new_with_seed (0xc0ffee);

  for (guint round = 0; round < 300; round++)
    {
      g_autoptr(GString) text = g_string_new (NULL);
      g_autoptr(GString) input = g_string_new (minimal_base);
      guint n = g_rand_int_range (rand, 0, 60);
      gboolean valid;
      Result result;

      for (guint i = 0; i < n; i++)
        g_string_append (text, pieces[g_rand_int_range (rand, 0, G_N_ELEMENTS (pieces))]);
      if (g_rand_boolean (rand))
        g_string_insert (text, g_rand_int_range (rand, 0, text->len + 1),
                         broken[g_rand_int_range (rand, 0, G_N_ELEMENTS (broken))]);
      valid = g_utf8_validate_len (text->str, text->len, NULL);

      g_string_insert (input, strlen ("{\"a\":{\"name\":\""), text->str);
      result = validate_all_splits (input->str, input->len);
      g_assert_cmpint (result.status, ==, valid ? OSI_RAG_OK : OSI_RAG_INVALID_JSON);
      if (!valid)
        g_assert_nonnull (strstr (result.message, "invalid UTF-8"));
      result_clear (&result);
    }
}

static void
test_feed_after_failure (void)
{
  g_autoptr(OsiRagValidator) validator = osi_rag_validator_new ();
  g_autofree char *first = NULL;
  g_autofree char *second = NULL;

  g_assert_true (osi_rag_validator_feed (validator, (const guint8 *) "{\"a\": ", 6));
  g_assert_false (osi_rag_validator_feed (validator, (const guint8 *) "12", 2));
  g_assert_false (osi_rag_validator_feed (validator, (const guint8 *) "}", 1));
  g_assert_false (osi_rag_validator_feed (validator, (const guint8 *) "garbage", 7));
  g_assert_true (osi_rag_validator_feed (validator, NULL, 0) == FALSE);

  g_assert_cmpint (osi_rag_validator_finish (validator, &first), ==, OSI_RAG_INVALID_SCHEMA);
  g_assert_cmpstr (first, ==, "Entry “a” must be a JSON object");
  g_assert_cmpint (osi_rag_validator_finish (validator, &second), ==, OSI_RAG_INVALID_SCHEMA);
  g_assert_cmpstr (first, ==, second);
  g_assert_cmpint (osi_rag_validator_finish (validator, NULL), ==, OSI_RAG_INVALID_SCHEMA);
}

static void
test_json_error_then_feed (void)
{
  g_autoptr(OsiRagValidator) validator = osi_rag_validator_new ();
  g_autofree char *message = NULL;

  g_assert_true (osi_rag_validator_feed (validator, (const guint8 *) "{\"a\"", 4));
  g_assert_false (osi_rag_validator_feed (validator, (const guint8 *) ";", 1));
  g_assert_false (osi_rag_validator_feed (validator, (const guint8 *) ": {}}", 5));
  g_assert_cmpint (osi_rag_validator_finish (validator, &message), ==, OSI_RAG_INVALID_JSON);
  g_assert_cmpstr (message, ==, "Invalid JSON at byte 4: expected “:”");
}

static void
test_free_null (void)
{
  osi_rag_validator_free (NULL);
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    g_test_add_data_func (cases[i].path, &cases[i], test_case);

  g_test_add_func ("/rag-validator/truncated-everywhere", test_truncated_everywhere);
  g_test_add_func ("/rag-validator/deep-nesting", test_deep_nesting);
  g_test_add_func ("/rag-validator/entry-count", test_entry_count);
  g_test_add_func ("/rag-validator/long-entry-name", test_long_entry_name);
  g_test_add_func ("/rag-validator/long-key-not-matched", test_long_key_not_matched);
  g_test_add_func ("/rag-validator/escaped-entry-name", test_escaped_entry_name);
  g_test_add_func ("/rag-validator/utf8-against-glib", test_utf8_against_glib);
  g_test_add_func ("/rag-validator/feed-after-failure", test_feed_after_failure);
  g_test_add_func ("/rag-validator/json-error-then-feed", test_json_error_then_feed);
  g_test_add_func ("/rag-validator/free-null", test_free_null);

  return g_test_run ();
}
