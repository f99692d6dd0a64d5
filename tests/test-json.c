/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <string.h>

#include "osi-error.h"
#include "osi-json.h"

/* The one guarded way into json-glib: nesting is checked before its
 * recursive parser sees the text, which 100,000 levels crash. */

static char *
nested (guint        depth,
        const char  *open,
        const char  *inner,
        const char  *close)
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
test_depth_limit (void)
{
  g_autofree char *at_limit = nested (OSI_JSON_MAX_DEPTH, "[", "1", "]");
  g_autofree char *over = nested (OSI_JSON_MAX_DEPTH + 1, "{\"a\":", "1", "}");
  g_autofree char *hostile = nested (100000, "[", "", "");
  g_autoptr(JsonNode) root = NULL;
  g_autoptr(GError) error = NULL;

  root = osi_json_parse (at_limit, strlen (at_limit), &error);
  g_assert_no_error (error);
  g_assert_true (JSON_NODE_HOLDS_ARRAY (root));

  g_assert_null (osi_json_parse (over, strlen (over), &error));
  g_assert_error (error, OSI_ERROR, OSI_ERROR_INVALID_DATA);
  g_clear_error (&error);

  /* What crashed json-glib (and the server, the CLI) is refused. */
  g_assert_null (osi_json_parse (hostile, strlen (hostile), &error));
  g_assert_error (error, OSI_ERROR, OSI_ERROR_INVALID_DATA);
  g_assert_nonnull (strstr (error->message, "512"));
}

static void
test_strings_do_not_count (void)
{
  g_autofree char *brackets = nested (10000, "[", "", "");
  g_autofree char *text = g_strdup_printf ("{\"a\": \"%s\", \"b\": \"\\\"[[[\", \"c\": [[1]]}", brackets);
  g_autoptr(JsonNode) root = NULL;
  g_autoptr(GError) error = NULL;

  g_assert_true (osi_json_check_depth (text, strlen (text), 3, &error));
  g_assert_no_error (error);
  g_assert_false (osi_json_check_depth (text, strlen (text), 2, &error));
  g_assert_error (error, OSI_ERROR, OSI_ERROR_INVALID_DATA);
  g_clear_error (&error);

  root = osi_json_parse (text, strlen (text), &error);
  g_assert_no_error (error);
  g_assert_cmpuint (strlen (json_object_get_string_member (json_node_get_object (root), "a")), ==, 10000);
}

static void
test_invalid (void)
{
  static const char * const texts[] = { "", "{", "[1,]", "\"unclosed", "\"\\", "nul" };

  for (guint i = 0; i < G_N_ELEMENTS (texts); i++)
    {
      g_autoptr(GError) error = NULL;

      g_assert_null (osi_json_parse (texts[i], strlen (texts[i]), &error));
      g_assert_nonnull (error);
    }
}

/* json-glib alone reads a second value after the first, comments, single
 * quotes and raw control characters; the tokenizer in front refuses them,
 * naming the byte. */
static void
test_strict (void)
{
  static const struct { const char *text; const char *message; } refused[] = {
    { "{}{}", "Invalid JSON at byte 2: unexpected data after the top-level value" },
    { "[1][2]", "Invalid JSON at byte 3: unexpected data after the top-level value" },
    { "{\"a\":1} {\"a\":2}", "Invalid JSON at byte 8: unexpected data after the top-level value" },
    { "1 {}", "Invalid JSON at byte 2: unexpected data after the top-level value" },
    { "/* c */ {}", "Invalid JSON at byte 0: expected a value" },
    { "{'a': 1}", "Invalid JSON at byte 1: expected a member name" },
    { "[01]", "Invalid JSON at byte 2: leading zeros are not allowed in numbers" },
    { "[\"a\tb\"]", "Invalid JSON at byte 3: unescaped control character in a string" },
    { "[\"\\ud800\"]", "Invalid JSON at byte 2: unpaired surrogate in a \\u escape" },
    { "  ", "Invalid JSON at byte 2: unexpected end of data" },
  };
  static const char text[] = " \n{\"a\": [1, 2.5e3, true, null, \"\\u00e9\"]}\r\n\t";
  g_autoptr(JsonNode) root = NULL;
  g_autoptr(GError) error = NULL;

  for (guint i = 0; i < G_N_ELEMENTS (refused); i++)
    {
      g_autoptr(GError) local_error = NULL;

      g_test_message ("%s", refused[i].text);
      g_assert_null (osi_json_parse (refused[i].text, strlen (refused[i].text), &local_error));
      g_assert_error (local_error, OSI_ERROR, OSI_ERROR_INVALID_DATA);
      g_assert_cmpstr (local_error->message, ==, refused[i].message);
    }

  /* Whitespace around the one value is allowed, and the value read whole. */
  root = osi_json_parse (text, strlen (text), &error);
  g_assert_no_error (error);
  g_assert_cmpuint (json_array_get_length (json_object_get_array_member (json_node_get_object (root), "a")), ==, 5);
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/json/depth-limit", test_depth_limit);
  g_test_add_func ("/json/strings-do-not-count", test_strings_do_not_count);
  g_test_add_func ("/json/invalid", test_invalid);
  g_test_add_func ("/json/strict", test_strict);

  return g_test_run ();
}
