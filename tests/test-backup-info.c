/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <string.h>
#include <time.h>

#include "osi-backup-info-private.h"
#include "osi-backup-info.h"
#include "osi-error.h"

/* Europe/Paris as a POSIX rule, independent of the installed tzdata. */
#define TEST_TZ "CET-1CEST,M3.5.0,M10.5.0/3"

#define SHA_LOWER "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"
#define SHA_UPPER "0123456789ABCDEF0123456789ABCDEF0123456789ABCDEF0123456789ABCDEF"

static JsonNode *
parse_json (const char *text)
{
  g_autoptr(GError) error = NULL;
  JsonNode *node = json_from_string (text, &error);

  g_assert_no_error (error);
  g_assert_nonnull (node);

  return node;
}

/* Parses one entry; returns NULL and sets error on failure. */
static OsiBackupInfo *
info_from_string (const char  *text,
                  GError     **error)
{
  g_autoptr(JsonNode) node = parse_json (text);

  g_assert_true (JSON_NODE_HOLDS_OBJECT (node));

  return osi_backup_info_new_from_json (json_node_get_object (node), NULL, error);
}

static char *
info_to_string (OsiBackupInfo *info)
{
  g_autoptr(JsonNode) node = osi_backup_info_to_json (info);

  return json_to_string (node, FALSE);
}

static void
test_round_trip (void)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(OsiBackupInfo) info = NULL;
  g_autoptr(OsiBackupInfo) again = NULL;
  g_autoptr(JsonNode) node = NULL;
  g_autofree char *text = NULL;
  g_autofree char *name = NULL;
  g_autofree char *sha256 = NULL;
  g_autoptr(GDateTime) date = NULL;
  gint64 size = 0;
  JsonObject *object;

  info = info_from_string ("{\"name\": \"backup_20261126_140509.tar.zst\","
                           " \"date\": \"2026-11-26T14:05:09Z\","
                           " \"size\": 123456789012,"
                           " \"sha256\": \"" SHA_UPPER "\"}", &error);
  g_assert_no_error (error);
  g_assert_nonnull (info);

  g_assert_cmpstr (osi_backup_info_get_name (info), ==, "backup_20261126_140509.tar.zst");
  g_assert_cmpint (osi_backup_info_get_size (info), ==, G_GINT64_CONSTANT (123456789012));
  g_assert_cmpstr (osi_backup_info_get_sha256 (info), ==, SHA_LOWER);
  g_assert_cmpint (g_date_time_to_unix (osi_backup_info_get_date (info)), ==, 1795701909);
  g_assert_cmpstr (osi_backup_info_get_display_date (info), ==, "26/11/2026 15:05");

  g_object_get (info, "name", &name, "date", &date, "size", &size, "sha256", &sha256, NULL);
  g_assert_cmpstr (name, ==, "backup_20261126_140509.tar.zst");
  g_assert_true (g_date_time_equal (date, osi_backup_info_get_date (info)));
  g_assert_cmpint (size, ==, G_GINT64_CONSTANT (123456789012));
  g_assert_cmpstr (sha256, ==, SHA_LOWER);

  text = info_to_string (info);
  g_assert_cmpstr (text, ==,
                   "{\"name\":\"backup_20261126_140509.tar.zst\","
                   "\"date\":\"2026-11-26T14:05:09Z\","
                   "\"size\":123456789012,"
                   "\"sha256\":\"" SHA_LOWER "\"}");

  node = osi_backup_info_to_json (info);
  object = json_node_get_object (node);
  again = osi_backup_info_new_from_json (object, NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (osi_backup_info_get_name (again), ==, osi_backup_info_get_name (info));
  g_assert_true (g_date_time_equal (osi_backup_info_get_date (again), osi_backup_info_get_date (info)));
  g_assert_cmpint (osi_backup_info_get_size (again), ==, osi_backup_info_get_size (info));
  g_assert_cmpstr (osi_backup_info_get_sha256 (again), ==, osi_backup_info_get_sha256 (info));

  g_assert_finalize_object (g_steal_pointer (&info));
  g_assert_finalize_object (g_steal_pointer (&again));
}

static void
test_old_backend (void)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(OsiBackupInfo) info = NULL;
  g_autofree char *text = NULL;

  info = info_from_string ("{\"name\": \"backup_20240101_000000.tar.gz\","
                           " \"date\": \"2024-01-01T00:00:00\"}", &error);
  g_assert_no_error (error);
  g_assert_cmpint (osi_backup_info_get_size (info), ==, -1);
  g_assert_null (osi_backup_info_get_sha256 (info));

  /* No offset: the server's local time, here this desktop's (Paris). */
  text = info_to_string (info);
  g_assert_cmpstr (text, ==,
                   "{\"name\":\"backup_20240101_000000.tar.gz\",\"date\":\"2023-12-31T23:00:00Z\"}");

  /* JSON null reads as "unknown" too. */
  g_clear_object (&info);
  info = info_from_string ("{\"name\": \"a.tgz\", \"date\": \"2024-01-01T00:00:00Z\","
                           " \"size\": null, \"sha256\": null}", &error);
  g_assert_no_error (error);
  g_assert_cmpint (osi_backup_info_get_size (info), ==, -1);
  g_assert_null (osi_backup_info_get_sha256 (info));
}

static void
test_plain_json_name (void)
{
  const char *names[] = { "search.json", "rag_backup_2023-05-01.json", "0.json", "A-b_c.1.json" };

  for (guint i = 0; i < G_N_ELEMENTS (names); i++)
    {
      g_autoptr(GError) error = NULL;
      g_autoptr(OsiBackupInfo) info = NULL;
      g_autofree char *text = g_strdup_printf ("{\"name\": \"%s\", \"date\": \"2023-05-01 10:00:00\"}",
                                               names[i]);

      g_assert_true (osi_backup_name_is_valid (names[i]));
      info = info_from_string (text, &error);
      g_assert_no_error (error);
      g_assert_cmpstr (osi_backup_info_get_name (info), ==, names[i]);
    }
}

static void
test_dates (void)
{
  static const struct {
    const char *in;
    const char *utc;
  } dates[] = {
    { "2026-11-26T14:05:09Z",           "2026-11-26T14:05:09Z" },
    { "2026-11-26T14:05:09",            "2026-11-26T14:05:09Z" },   /* no offset: the server's zone */
    { "2026-11-26 14:05:09",            "2026-11-26T14:05:09Z" },
    { "2026-11-26T14:05:09.987654",     "2026-11-26T14:05:09Z" },
    { "2026-11-26 14:05:09.5Z",         "2026-11-26T14:05:09Z" },
    { "2026-11-26T15:05:09+01:00",      "2026-11-26T14:05:09Z" },
    { "2026-11-27T01:35:09+11:30",      "2026-11-26T14:05:09Z" },
  };

  for (guint i = 0; i < G_N_ELEMENTS (dates); i++)
    {
      g_autoptr(GError) error = NULL;
      g_autoptr(OsiBackupInfo) info = NULL;
      g_autoptr(JsonNode) node = NULL;
      g_autofree char *text = g_strdup_printf ("{\"name\": \"b.zip\", \"date\": \"%s\"}", dates[i].in);
      g_autoptr(JsonNode) parsed = parse_json (text);
      /* A server whose clock is on UTC. */
      g_autoptr(GTimeZone) utc = g_time_zone_new_utc ();

      info = osi_backup_info_new_from_json (json_node_get_object (parsed), utc, &error);
      g_assert_no_error (error);
      node = osi_backup_info_to_json (info);
      g_assert_cmpstr (json_object_get_string_member (json_node_get_object (node), "date"), ==,
                       dates[i].utc);
      g_assert_cmpstr (osi_backup_info_get_display_date (info), ==, "26/11/2026 15:05");
    }
}

static void
assert_entry_fails (const char *text,
                    gint        code)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(OsiBackupInfo) info = info_from_string (text, &error);

  if (info != NULL)
    g_test_message ("accepted: %s", text);
  g_assert_null (info);
  g_assert_error (error, OSI_ERROR, code);
  g_assert_nonnull (error->message);
}

static void
test_invalid_names (void)
{
  g_autofree char *max_name = g_strnfill (201, 'a');
  g_autofree char *long_name = g_strnfill (202, 'a');
  const char *invalid[] = {
    "../x", "a/b", "", long_name, ".hidden", "a..b", "..", "-x", "_x",
    "a b", "é.zip", "a\\b", "x%2F", "back\nup",
  };

  g_assert_true (osi_backup_name_is_valid (max_name));
  g_assert_true (osi_backup_name_is_valid ("a"));
  g_assert_true (osi_backup_name_is_valid ("a.b.c"));
  g_assert_false (osi_backup_name_is_valid (NULL));

  for (guint i = 0; i < G_N_ELEMENTS (invalid); i++)
    {
      g_autoptr(JsonObject) object = json_object_new ();
      g_autoptr(GError) error = NULL;
      g_autoptr(OsiBackupInfo) info = NULL;

      g_assert_false (osi_backup_name_is_valid (invalid[i]));

      json_object_set_string_member (object, "name", invalid[i]);
      json_object_set_string_member (object, "date", "2026-01-01T00:00:00Z");
      info = osi_backup_info_new_from_json (object, NULL, &error);
      g_assert_null (info);
      g_assert_error (error, OSI_ERROR, OSI_ERROR_INVALID_NAME);
    }

  /* Long names are shortened in the message, not echoed whole. */
  {
    g_autoptr(JsonObject) object = json_object_new ();
    g_autoptr(GError) error = NULL;
    g_autofree char *huge = g_strnfill (100000, '/');

    json_object_set_string_member (object, "name", huge);
    json_object_set_string_member (object, "date", "2026-01-01T00:00:00Z");
    g_assert_null (osi_backup_info_new_from_json (object, NULL, &error));
    g_assert_error (error, OSI_ERROR, OSI_ERROR_INVALID_NAME);
    g_assert_cmpuint (strlen (error->message), <, 200);
  }

  assert_entry_fails ("{\"date\": \"2026-01-01T00:00:00Z\"}", OSI_ERROR_INVALID_DATA);
  assert_entry_fails ("{\"name\": 12, \"date\": \"2026-01-01T00:00:00Z\"}", OSI_ERROR_INVALID_DATA);
  assert_entry_fails ("{\"name\": null, \"date\": \"2026-01-01T00:00:00Z\"}", OSI_ERROR_INVALID_DATA);
}

static void
test_bad_date (void)
{
  const char *entries[] = {
    "{\"name\": \"a.zip\"}",
    "{\"name\": \"a.zip\", \"date\": null}",
    "{\"name\": \"a.zip\", \"date\": 1764165909}",
    "{\"name\": \"a.zip\", \"date\": \"\"}",
    "{\"name\": \"a.zip\", \"date\": \"yesterday\"}",
    "{\"name\": \"a.zip\", \"date\": \"2026-11-26\"}",
    "{\"name\": \"a.zip\", \"date\": \"2026-13-01T00:00:00Z\"}",
    "{\"name\": \"a.zip\", \"date\": \"2026-02-30T00:00:00Z\"}",
    "{\"name\": \"a.zip\", \"date\": \"26/11/2026 14:05\"}",
    "{\"name\": \"a.zip\", \"date\": \"2026-11-26T14:05:09Zjunk\"}",
  };

  for (guint i = 0; i < G_N_ELEMENTS (entries); i++)
    assert_entry_fails (entries[i], OSI_ERROR_INVALID_DATA);
}

static void
test_size (void)
{
  const char *bad[] = {
    "{\"name\": \"a.zip\", \"date\": \"2026-01-01T00:00:00Z\", \"size\": -1}",
    "{\"name\": \"a.zip\", \"date\": \"2026-01-01T00:00:00Z\", \"size\": -42}",
    "{\"name\": \"a.zip\", \"date\": \"2026-01-01T00:00:00Z\", \"size\": \"12\"}",
    "{\"name\": \"a.zip\", \"date\": \"2026-01-01T00:00:00Z\", \"size\": 1.5}",
    "{\"name\": \"a.zip\", \"date\": \"2026-01-01T00:00:00Z\", \"size\": true}",
    "{\"name\": \"a.zip\", \"date\": \"2026-01-01T00:00:00Z\", \"size\": [1]}",
  };
  g_autoptr(GError) error = NULL;
  g_autoptr(OsiBackupInfo) info = NULL;

  for (guint i = 0; i < G_N_ELEMENTS (bad); i++)
    assert_entry_fails (bad[i], OSI_ERROR_INVALID_DATA);

  info = info_from_string ("{\"name\": \"a.zip\", \"date\": \"2026-01-01T00:00:00Z\", \"size\": 0}", &error);
  g_assert_no_error (error);
  g_assert_cmpint (osi_backup_info_get_size (info), ==, 0);
}

static void
test_bad_sha256 (void)
{
  const char *bad[] = {
    "{\"name\": \"a.zip\", \"date\": \"2026-01-01T00:00:00Z\", \"sha256\": \"\"}",
    "{\"name\": \"a.zip\", \"date\": \"2026-01-01T00:00:00Z\", \"sha256\": \"abc\"}",
    /* 63 and 65 digits */
    "{\"name\": \"a.zip\", \"date\": \"2026-01-01T00:00:00Z\", \"sha256\": \""
      "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcde\"}",
    "{\"name\": \"a.zip\", \"date\": \"2026-01-01T00:00:00Z\", \"sha256\": \"" SHA_LOWER "0\"}",
    "{\"name\": \"a.zip\", \"date\": \"2026-01-01T00:00:00Z\", \"sha256\": \""
      "g123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef\"}",
    "{\"name\": \"a.zip\", \"date\": \"2026-01-01T00:00:00Z\", \"sha256\": \"sha-256:"
      "0123456789abcdef0123456789abcdef0123456789abcdef0123456789\"}",
    "{\"name\": \"a.zip\", \"date\": \"2026-01-01T00:00:00Z\", \"sha256\": 12}",
  };

  for (guint i = 0; i < G_N_ELEMENTS (bad); i++)
    assert_entry_fails (bad[i], OSI_ERROR_INVALID_DATA);
}

static void
test_list (void)
{
  g_autoptr(JsonNode) root = NULL;
  g_autoptr(GPtrArray) list = NULL;
  g_autoptr(GError) error = NULL;

  root = parse_json ("{\"backups\": ["
                     "  {\"name\": \"backup_20261126_140509.tar.zst\", \"date\": \"2026-11-26T14:05:09Z\","
                     "   \"size\": 10, \"sha256\": \"" SHA_LOWER "\"},"
                     "  {\"name\": \"search.json\", \"date\": \"2025-01-01T08:00:00Z\"}"
                     "], \"message\": \"2 sauvegardes trouvées\"}");
  list = osi_backup_info_list_from_json (root, NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (list->len, ==, 2);
  g_assert_cmpstr (osi_backup_info_get_name (list->pdata[0]), ==, "backup_20261126_140509.tar.zst");
  g_assert_cmpint (osi_backup_info_get_size (list->pdata[0]), ==, 10);
  g_assert_cmpstr (osi_backup_info_get_name (list->pdata[1]), ==, "search.json");
  g_assert_cmpint (osi_backup_info_get_size (list->pdata[1]), ==, -1);
  g_assert_cmpstr (osi_backup_info_get_display_date (list->pdata[1]), ==, "01/01/2025 09:00");

  g_clear_pointer (&root, json_node_unref);
  g_clear_pointer (&list, g_ptr_array_unref);
  root = parse_json ("{\"backups\": []}");
  list = osi_backup_info_list_from_json (root, NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (list->len, ==, 0);
}

static void
test_list_invalid (void)
{
  static const struct {
    const char *json;
    gint        code;
    const char *in_message;
  } lists[] = {
    { "[]",                                   OSI_ERROR_INVALID_DATA, NULL },
    { "\"backups\"",                          OSI_ERROR_INVALID_DATA, NULL },
    { "null",                                 OSI_ERROR_INVALID_DATA, NULL },
    { "{}",                                   OSI_ERROR_INVALID_DATA, NULL },
    { "{\"message\": \"ok\"}",                OSI_ERROR_INVALID_DATA, NULL },
    { "{\"backups\": {}}",                    OSI_ERROR_INVALID_DATA, NULL },
    { "{\"backups\": null}",                  OSI_ERROR_INVALID_DATA, NULL },
  };

  for (guint i = 0; i < G_N_ELEMENTS (lists); i++)
    {
      g_autoptr(JsonNode) root = parse_json (lists[i].json);
      g_autoptr(GError) error = NULL;
      g_autoptr(GPtrArray) list = osi_backup_info_list_from_json (root, NULL, &error);

      g_assert_null (list);
      g_assert_error (error, OSI_ERROR, lists[i].code);
      if (lists[i].in_message != NULL)
        g_assert_nonnull (strstr (error->message, lists[i].in_message));
    }

  {
    g_autoptr(GError) error = NULL;

    g_assert_null (osi_backup_info_list_from_json (NULL, NULL, &error));
    g_assert_error (error, OSI_ERROR, OSI_ERROR_INVALID_DATA);
  }
}

static GPtrArray *list_through_tree (const char  *text,
                                     GError     **error);

/* docs/api.md §5.3: one malformed entry never fails the list. Each is kept as
 * well as it can be read, saying what is wrong; both readers agree. */
static void
test_list_tolerant (void)
{
  const char *text =
    "{\"backups\": ["
    "  {\"name\": \"a.zip\", \"date\": \"2026-01-01T00:00:00Z\", \"size\": 5},"
    "  {\"name\": \"b.zip\", \"date\": \"never\", \"size\": -4, \"sha256\": \"abc\"},"
    "  {\"name\": \"../etc\", \"date\": \"2026-01-01T00:00:00Z\"},"
    "  \"c.json\","
    "  {\"date\": \"2026-01-01T00:00:00Z\"},"
    "  12,"
    "  {\"name\": \"d.json\", \"path\": \"/srv/d.json\", \"date\": \"2026-01-01T00:00:00.5\"}"
    "]}";
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) tree = list_through_tree (text, &error);
  g_autoptr(GPtrArray) stream = NULL;

  g_assert_no_error (error);
  stream = osi_backup_info_list_parse (text, strlen (text), NULL, &error);
  g_assert_no_error (error);
  for (guint pass = 0; pass < 2; pass++)
    {
      GPtrArray *list = pass == 0 ? tree : stream;

      g_assert_cmpuint (list->len, ==, 7);
      /* A sound entry has no problem. */
      g_assert_null (osi_backup_info_get_problem (list->pdata[0]));
      g_assert_true (osi_backup_info_get_date_known (list->pdata[0]));
      g_assert_true (osi_backup_info_can_be_named (list->pdata[0]));
      g_assert_cmpint (osi_backup_info_get_size (list->pdata[0]), ==, 5);
      /* A bad date: unknown, said; a bad size or checksum: left out. */
      g_assert_cmpstr (osi_backup_info_get_name (list->pdata[1]), ==, "b.zip");
      g_assert_false (osi_backup_info_get_date_known (list->pdata[1]));
      g_assert_nonnull (osi_backup_info_get_problem (list->pdata[1]));
      g_assert_cmpstr (osi_backup_info_get_display_date (list->pdata[1]), ==, "Unknown date");
      g_assert_cmpint (osi_backup_info_get_size (list->pdata[1]), ==, -1);
      g_assert_null (osi_backup_info_get_sha256 (list->pdata[1]));
      g_assert_true (osi_backup_info_can_be_named (list->pdata[1]));
      /* A name outside the grammar: shown, never sent back. */
      g_assert_cmpstr (osi_backup_info_get_name (list->pdata[2]), ==, "../etc");
      g_assert_false (osi_backup_info_can_be_named (list->pdata[2]));
      g_assert_nonnull (osi_backup_info_get_problem (list->pdata[2]));
      g_assert_true (osi_backup_info_get_date_known (list->pdata[2]));
      /* A bare name, no name, not even an object. */
      g_assert_cmpstr (osi_backup_info_get_name (list->pdata[3]), ==, "c.json");
      g_assert_false (osi_backup_info_get_date_known (list->pdata[3]));
      g_assert_cmpstr (osi_backup_info_get_name (list->pdata[4]), ==, "");
      g_assert_cmpstr (osi_backup_info_get_display_name (list->pdata[4]), ==, "Unnamed backup");
      g_assert_cmpstr (osi_backup_info_get_display_name (list->pdata[0]), ==, "a.zip");
      g_assert_false (osi_backup_info_can_be_named (list->pdata[4]));
      g_assert_cmpstr (osi_backup_info_get_name (list->pdata[5]), ==, "");
      g_assert_nonnull (osi_backup_info_get_problem (list->pdata[5]));
      /* The deployed backend's shape: path ignored, naive date local. */
      g_assert_null (osi_backup_info_get_problem (list->pdata[6]));
      g_assert_cmpstr (osi_backup_info_get_display_date (list->pdata[6]), ==, "01/01/2026 00:00");
    }
}

/* A name outside the grammar is shown, but never as escapes a terminal
 * or a label would act on, nor reordered by a bidirectional override. */
static void
test_display_name (void)
{
  const char *text = "{\"backups\": [{\"name\": \"evil\\u001b[31m\\nred\\u202etxt.json\", "
                     "\"date\": \"2026-01-01T00:00:00Z\"}]}";
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) list = osi_backup_info_list_parse (text, strlen (text), NULL, &error);

  g_assert_no_error (error);
  g_assert_cmpstr (osi_backup_info_get_name (list->pdata[0]), ==, "evil\033[31m\nred\u202etxt.json");
  g_assert_false (osi_backup_info_can_be_named (list->pdata[0]));
  g_assert_cmpstr (osi_backup_info_get_display_name (list->pdata[0]), ==, "evil\ufffd[31m\ufffdred\ufffdtxt.json");
}

/* docs/api.md §5.3: the deployed backend sends Python's naive isoformat (), its
 * local time. Read in the server's zone, across a DST change, a shown
 * date never shifts by the UTC offset. */
/* The list reader reads osi-backup-server's own form of a date
 * ("2026-12-05T15:14:58Z") itself, and works out the local date without
 * a GDateTime: both must say what GLib says, for every day of the
 * calendar's edges, the leap days and this desktop's changes of time
 * (TEST_TZ), and refuse what GLib refuses. */
static void
test_server_dates (void)
{
  const char *refused[] = {
    "2026-02-29T10:00:00Z", "2100-02-29T10:00:00Z", "2026-04-31T10:00:00Z", "2026-13-01T10:00:00Z",
    "2026-00-10T10:00:00Z", "2026-12-00T10:00:00Z", "2026-12-05T24:00:00Z", "2026-12-05T23:60:00Z",
    "2026-12-05T23:59:60Z", "0000-01-01T00:00:00Z",
  };
  const char *other_forms[] = {
    "2026-12-05T15:14:58.5Z", "2026-12-05T15:14:58+01:00", "2026-12-05 15:14:58Z", "2026-12-05T15:14:58z",
    "2026-12-05T15:14:58", "2026-12-05T15:14:58Zjunk",
  };
  g_autoptr(GTimeZone) local_tz = g_time_zone_new_local ();
  g_autoptr(GString) text = g_string_new ("{\"backups\": [");
  g_autoptr(GPtrArray) expected = g_ptr_array_new_with_free_func (g_free);
  g_autoptr(GPtrArray) list = NULL;
  g_autoptr(GError) error = NULL;
  const gint64 starts[] = {
    G_GINT64_CONSTANT (-62135596800),  /* 0001-01-01 */
    -86400 * 3, 951782400 - 86400 * 2, /* around 1970-01-01, 2000-02-29 */
    1774742400 - 86400,                /* 2026-03-29, summer time */
    1792281600 - 86400,                /* 2026-10-25, winter time */
    4107542400 - 86400 * 2,            /* 2100-02-28, not a leap year */
    G_GINT64_CONSTANT (253402300799) - 86400 * 2, /* 9999-12-31 */
  };

  /* Every 7 min 1 s over three days from each start. */
  for (guint s = 0; s < G_N_ELEMENTS (starts); s++)
    for (gint64 t = starts[s]; t < starts[s] + 3 * 86400 && t <= G_GINT64_CONSTANT (253402300799); t += 421)
      {
        g_autoptr(GDateTime) date = g_date_time_new_from_unix_utc (t);

        g_ptr_array_add (expected, g_date_time_format (date, "%Y-%m-%dT%H:%M:%SZ"));
      }
  for (guint i = 0; i < G_N_ELEMENTS (refused); i++)
    g_ptr_array_add (expected, g_strdup (refused[i]));
  for (guint i = 0; i < G_N_ELEMENTS (other_forms); i++)
    g_ptr_array_add (expected, g_strdup (other_forms[i]));
  for (guint i = 0; i < expected->len; i++)
    g_string_append_printf (text, "%s{\"name\": \"backup_20261205_151458.tar.zst\", \"date\": \"%s\"}",
                            i > 0 ? "," : "", (const char *)expected->pdata[i]);
  g_string_append (text, "]}");

  list = osi_backup_info_list_parse (text->str, text->len, NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (list->len, ==, expected->len);
  for (guint i = 0; i < list->len; i++)
    {
      const char *date_text = expected->pdata[i];
      g_autoptr(GDateTime) glib = g_date_time_new_from_iso8601 (date_text, local_tz);
      OsiBackupInfo *info = list->pdata[i];
      GDateTime *date = osi_backup_info_get_date (info);
      const OsiLocalDate *local;

      g_test_message ("%s", date_text);
      g_assert_cmpint (osi_backup_info_get_date_known (info), ==, glib != NULL);
      if (glib == NULL)
        continue;
      g_assert_true (g_date_time_equal (date, glib));
      g_assert_cmpint (g_date_time_get_utc_offset (date), ==, g_date_time_get_utc_offset (glib));
      g_assert_cmpstr (g_time_zone_get_identifier (g_date_time_get_timezone (date)), ==,
                       g_time_zone_get_identifier (g_date_time_get_timezone (glib)));
      {
        g_autoptr(GDateTime) in_local = g_date_time_to_timezone (glib, local_tz);

        /* GLib has no local date past 9999-12-31 24:00 local time. */
        if (in_local == NULL)
          continue;
        local = _osi_backup_info_get_local_date (info);
        g_assert_cmpint (local->year, ==, g_date_time_get_year (in_local));
        g_assert_cmpint (local->month, ==, g_date_time_get_month (in_local));
        g_assert_cmpint (local->day, ==, g_date_time_get_day_of_month (in_local));
        g_assert_cmpint (local->hour, ==, g_date_time_get_hour (in_local));
        g_assert_cmpint (local->minute, ==, g_date_time_get_minute (in_local));
      }
    }
}

static void
test_naive_dates (void)
{
  const char *text =
    "{\"backups\": ["
    "  {\"name\": \"search_backup_20260329_033000.json\", \"date\": \"2026-03-29T03:30:00.250000\"},"
    "  {\"name\": \"search_backup_20260329_013000.json\", \"date\": \"2026-03-29T01:30:00.250000\"},"
    "  {\"name\": \"z.json\", \"date\": \"2026-03-29T01:30:00+00:00\"}"
    "]}";
  g_autoptr(GTimeZone) paris = NULL;
  g_autoptr(GTimeZone) tokyo = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) local = osi_backup_info_list_parse (text, strlen (text), NULL, &error);
  g_autoptr(GPtrArray) in_paris = NULL;
  g_autoptr(GPtrArray) in_tokyo = NULL;
  g_autofree char *utc0 = NULL;
  g_autofree char *utc1 = NULL;

  g_assert_no_error (error);
  paris = osi_time_zone_new ("Europe/Paris", &error);
  g_assert_no_error (error);
  tokyo = osi_time_zone_new ("Asia/Tokyo", &error);
  g_assert_no_error (error);
  in_paris = osi_backup_info_list_parse (text, strlen (text), paris, &error);
  g_assert_no_error (error);
  in_tokyo = osi_backup_info_list_parse (text, strlen (text), tokyo, &error);
  g_assert_no_error (error);

  /* Summer time (UTC+2) after the change, winter time (UTC+1) before. */
  utc0 = g_date_time_format_iso8601 (osi_backup_info_get_date (in_paris->pdata[0]));
  utc1 = g_date_time_format_iso8601 (osi_backup_info_get_date (in_paris->pdata[1]));
  {
    g_autoptr(GDateTime) a = g_date_time_to_utc (osi_backup_info_get_date (in_paris->pdata[0]));
    g_autoptr(GDateTime) b = g_date_time_to_utc (osi_backup_info_get_date (in_paris->pdata[1]));
    g_autofree char *sa = g_date_time_format (a, "%FT%T.%f");
    g_autofree char *sb = g_date_time_format (b, "%FT%T.%f");

    g_assert_cmpstr (sa, ==, "2026-03-29T01:30:00.250000");
    g_assert_cmpstr (sb, ==, "2026-03-29T00:30:00.250000");
  }
  /* This desktop is in Paris too (TEST_TZ): shown as the server wrote. */
  g_assert_cmpstr (osi_backup_info_get_display_date (in_paris->pdata[0]), ==, "29/03/2026 03:30");
  g_assert_cmpstr (osi_backup_info_get_display_date (in_paris->pdata[1]), ==, "29/03/2026 01:30");
  g_assert_cmpstr (osi_backup_info_get_display_date (local->pdata[0]), ==, "29/03/2026 03:30");
  /* A server in Tokyo: its 03:30 is 20:30 the day before here. */
  g_assert_cmpstr (osi_backup_info_get_display_date (in_tokyo->pdata[0]), ==, "28/03/2026 19:30");
  /* A date with an offset keeps it, whatever the server's zone. */
  g_assert_true (g_date_time_equal (osi_backup_info_get_date (in_tokyo->pdata[2]),
                                    osi_backup_info_get_date (in_paris->pdata[2])));
  g_assert_cmpstr (osi_backup_info_get_display_date (in_paris->pdata[2]), ==, "29/03/2026 03:30");

  g_assert_null (osi_time_zone_new ("Nowhere/Atlantis", &error));
  g_assert_error (error, OSI_ERROR, OSI_ERROR_INVALID_DATA);
}

/* Both readers of a list: the json-glib tree (list_from_json) and the
 * streaming reader the client uses (list_parse). On standard JSON they
 * must agree, backup by backup and error by error. */
static GPtrArray *
list_through_tree (const char  *text,
                   GError     **error)
{
  g_autoptr(JsonParser) parser = json_parser_new ();

  if (!json_parser_load_from_data (parser, text, -1, error))
    return NULL;
  return osi_backup_info_list_from_json (json_parser_get_root (parser), NULL, error);
}

static void
assert_readers_agree (const char *text)
{
  g_autoptr(GError) tree_error = NULL;
  g_autoptr(GError) stream_error = NULL;
  g_autoptr(GPtrArray) tree = list_through_tree (text, &tree_error);
  g_autoptr(GPtrArray) stream = osi_backup_info_list_parse (text, strlen (text), NULL, &stream_error);

  if ((tree == NULL) != (stream == NULL))
    g_error ("%s: tree %s, stream %s", text, tree_error ? tree_error->message : "ok",
             stream_error ? stream_error->message : "ok");
  if (tree == NULL)
    {
      /* A syntax error is worded by each parser its own way. */
      if (!g_error_matches (tree_error, JSON_PARSER_ERROR, tree_error->code))
        {
          g_assert_error (stream_error, tree_error->domain, tree_error->code);
          g_assert_cmpstr (stream_error->message, ==, tree_error->message);
        }
      else
        g_assert_error (stream_error, OSI_ERROR, OSI_ERROR_INVALID_DATA);
      return;
    }
  g_assert_cmpuint (stream->len, ==, tree->len);
  for (guint i = 0; i < tree->len; i++)
    {
      g_assert_cmpstr (osi_backup_info_get_name (stream->pdata[i]), ==, osi_backup_info_get_name (tree->pdata[i]));
      g_assert_true (g_date_time_equal (osi_backup_info_get_date (stream->pdata[i]),
                                        osi_backup_info_get_date (tree->pdata[i])));
      g_assert_cmpint (osi_backup_info_get_size (stream->pdata[i]), ==, osi_backup_info_get_size (tree->pdata[i]));
      g_assert_cmpstr (osi_backup_info_get_sha256 (stream->pdata[i]), ==, osi_backup_info_get_sha256 (tree->pdata[i]));
      g_assert_cmpint (osi_backup_info_get_date_known (stream->pdata[i]), ==,
                       osi_backup_info_get_date_known (tree->pdata[i]));
      g_assert_cmpstr (osi_backup_info_get_problem (stream->pdata[i]), ==, osi_backup_info_get_problem (tree->pdata[i]));
      g_assert_cmpint (osi_backup_info_get_protected (stream->pdata[i]), ==,
                       osi_backup_info_get_protected (tree->pdata[i]));
      g_assert_cmpstr (osi_backup_info_get_note (stream->pdata[i]), ==, osi_backup_info_get_note (tree->pdata[i]));
      g_assert_cmpstr (osi_backup_info_get_kind (stream->pdata[i]), ==, osi_backup_info_get_kind (tree->pdata[i]));
      g_assert_cmpstr (osi_backup_info_get_verdict (stream->pdata[i]), ==,
                       osi_backup_info_get_verdict (tree->pdata[i]));
      g_assert_true ((osi_backup_info_get_verified_at (stream->pdata[i]) == NULL) ==
                     (osi_backup_info_get_verified_at (tree->pdata[i]) == NULL));
      if (osi_backup_info_get_verified_at (tree->pdata[i]) != NULL)
        g_assert_true (g_date_time_equal (osi_backup_info_get_verified_at (stream->pdata[i]),
                                          osi_backup_info_get_verified_at (tree->pdata[i])));
      g_assert_cmpstr (osi_backup_info_get_offsite_state (stream->pdata[i]), ==,
                       osi_backup_info_get_offsite_state (tree->pdata[i]));
      g_assert_true ((osi_backup_info_get_offsite_at (stream->pdata[i]) == NULL) ==
                     (osi_backup_info_get_offsite_at (tree->pdata[i]) == NULL));
      if (osi_backup_info_get_offsite_at (tree->pdata[i]) != NULL)
        g_assert_true (g_date_time_equal (osi_backup_info_get_offsite_at (stream->pdata[i]),
                                          osi_backup_info_get_offsite_at (tree->pdata[i])));
      g_assert_cmpstr (osi_backup_info_get_offsite_detail (stream->pdata[i]), ==,
                       osi_backup_info_get_offsite_detail (tree->pdata[i]));
      g_assert_cmpint (osi_backup_info_get_local (stream->pdata[i]), ==, osi_backup_info_get_local (tree->pdata[i]));
      g_assert_cmpint (osi_backup_info_get_offsite_copied (stream->pdata[i]), ==,
                       osi_backup_info_get_offsite_copied (tree->pdata[i]));
    }
}

static void
assert_stream_refuses (const char *text)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) list = osi_backup_info_list_parse (text, strlen (text), NULL, &error);

  if (list != NULL)
    g_error ("accepted: %s", text);
  g_assert_error (error, OSI_ERROR, OSI_ERROR_INVALID_DATA);
}

static void
test_list_parse (void)
{
  static const char * const agree[] = {
    "{\"backups\": []}",
    " \t\r\n{ \"backups\" : [ ] } \n",
    "{\"message\": {\"a\": [1, 2.5, -3e2, true, false, null, \"x\\\"\\\\\\/\\b\\f\\n\\r\\t\\u00e9\\ud83d\\ude00\"]},"
    " \"backups\": [{\"name\": \"b\\u0061ckup.zip\", \"date\": \"2026-01-01T00:00:00Z\", \"size\": 0,"
    "  \"extra\": [[{}], {\"size\": \"no\"}], \"sha256\": null}]}",
    "{\"backups\": [{\"date\": \"2026-01-01T00:00:00+02:00\", \"name\": \"a.zip\", \"size\": 9007199254740993,"
    " \"sha256\": \"" SHA_UPPER "\"}]}",
    "{\"backups\": [{\"name\": \"a.zip\", \"date\": \"2026-01-01T00:00:00Z\", \"name\": \"b.zip\"}]}",
    "{\"backups\": [{\"name\": \"a.zip\", \"date\": \"2026-01-01T00:00:00Z\"}], \"backups\": []}",
    "{\"backups\": [{\"name\": \"a.zip\", \"date\": \"2026-01-01T00:00:00Z\", \"size\": -0}]}",
    "{\"backups\": [{\"name\": \"a.zip\", \"date\": \"2026-01-01T00:00:00Z\", \"size\": 1.0}]}",
    "{\"backups\": [{\"name\": \"a.zip\", \"date\": \"2026-01-01T00:00:00Z\", \"size\": 1e3}]}",
    "{\"backups\": [{\"name\": \"a.zip\", \"date\": \"2026-01-01T00:00:00Z\", \"size\": -1}]}",
    "{\"backups\": [{\"name\": \"a.zip\", \"date\": \"2026-01-01T00:00:00Z\", \"size\": \"1\"}]}",
    "{\"backups\": [{\"name\": \"a.zip\", \"date\": \"2026-01-01T00:00:00Z\", \"size\": 99999999999999999999}]}",
    "{\"backups\": [{\"name\": \"a.zip\", \"date\": \"2026-01-01T00:00:00Z\", \"sha256\": 12}]}",
    "{\"backups\": [{\"name\": \"a.zip\", \"date\": 20260101}]}",
    "{\"backups\": [{\"name\": \"a.zip\", \"date\": \"2026-13-01T00:00:00Z\"}]}",
    "{\"backups\": [{\"name\": \"../a.zip\", \"date\": \"2026-01-01T00:00:00Z\"}]}",
    "{\"backups\": [{\"name\": \"a.zip\", \"date\": \"2026-01-01T00:00:00Z\"}, {\"name\": \"b.zip\"}]}",
    "{\"backups\": [{\"name\": null, \"date\": \"2026-01-01T00:00:00Z\"}]}",
    "{\"backups\": [{}]}",
    "{\"backups\": [\"a.zip\"]}",
    "{\"backups\": [[]]}",
    "{\"backups\": {}}",
    "{\"backups\": null}",
    "{\"message\": \"ok\"}",
    "{}",
    "[]",
    "null",
    "\"backups\"",
  };
  static const char * const malformed[] = {
    "", " ", "{", "{\"backups\": [", "{\"backups\": [}", "{\"backups\": []", "{\"backups\": []} x",
    "{\"backups\": [],}", "{\"backups\": [1,]}", "{\"backups\" []}", "{backups: []}", "{'backups': []}",
    "{\"backups\": [], \"a\": tru}", "{\"backups\": [], \"a\": 01}", "{\"backups\": [], \"a\": -}",
    "{\"backups\": [], \"a\": 1.}", "{\"backups\": [], \"a\": 1e}", "{\"backups\": [], \"a\": .5}",
    "{\"backups\": [], \"a\": \"\\u00\"}", "{\"backups\": [], \"a\": \"\\x\"}", "{\"backups\": [], \"a\": \"ab",
    "{\"backups\": [], \"a\": \"\\ud800\"}", "{\"backups\": [], \"a\": \"\\udc00\"}",
    "{\"backups\": [], \"a\": \"\\ud800\\u0041\"}", "{\"backups\": [], \"a\": \"\\u0000\"}",
    "{\"backups\": [], \"a\": \"tab\there\"}", "{\"backups\": [], \"a\": \"\xff\"}",
    "{\"backups\": [{\"name\": \"a.zip\" \"date\": \"2026-01-01T00:00:00Z\"}]}",
    "{\"backups\": []} {}", "{\"backups\": [] /* comment */}", "{\"backups\": [], \"message\"}",
    "{\"backups\": [], 12: 1}",
  };
  g_autoptr(GString) deep = g_string_new ("{\"backups\": [], \"a\": ");
  g_autoptr(GString) big = g_string_new ("{\"backups\": [");
  g_autoptr(GRand) rand = g_rand_new_with_seed (26112026);

  for (guint i = 0; i < G_N_ELEMENTS (agree); i++)
    assert_readers_agree (agree[i]);
  for (guint i = 0; i < G_N_ELEMENTS (malformed); i++)
    assert_stream_refuses (malformed[i]);
  /* Nesting is bounded: a deep value is refused, not a stack overflow. */
  for (guint i = 0; i < 100000; i++)
    g_string_append_c (deep, '[');
  assert_stream_refuses (deep->str);

  /* A list like a server's, then every prefix of it (a cut answer) and
   * random bytes changed in it: never a crash, never a list that the
   * tree reader would not give. */
  for (guint i = 0; i < 40; i++)
    g_string_append_printf (big, "%s{\"name\": \"backup_2026%02u%02u_120000.tar.zst\", \"date\": "
                            "\"2026-%02u-%02uT12:00:00Z\", \"size\": %u, \"sha256\": \"" SHA_LOWER "\"}",
                            i > 0 ? ", " : "", i % 12 + 1, i % 28 + 1, i % 12 + 1, i % 28 + 1, i * 1000);
  g_string_append (big, "], \"message\": \"40 sauvegardes\"}");
  assert_readers_agree (big->str);
  for (gsize cut = 0; cut < big->len - 1; cut++)
    {
      g_autofree char *prefix = g_strndup (big->str, cut);

      assert_stream_refuses (prefix);
    }
  for (guint i = 0; i < 3000; i++)
    {
      g_autofree char *copy = g_strdup (big->str);

      for (guint j = 0; j < 3; j++)
        copy[g_rand_int_range (rand, 0, (gint32)big->len)] = (char)g_rand_int_range (rand, 1, 128);
      {
        g_autoptr(GError) error = NULL;
        g_autoptr(GPtrArray) list = osi_backup_info_list_parse (copy, strlen (copy), NULL, &error);

        g_assert_true ((list == NULL) == (error != NULL));
        if (list != NULL)
          assert_readers_agree (copy);
      }
    }
}

/* docs/api.md §6: the members a server with a policy adds, read by both
 * readers alike, leniently, and written back. */
static void
test_policy_members (void)
{
  static const char * const agree[] = {
    "{\"backups\": [{\"name\": \"a.zip\", \"date\": \"2026-01-01T00:00:00Z\", \"protected\": true,"
    " \"note\": \"avant la migration\", \"kind\": \"scheduled\","
    " \"verified\": {\"at\": \"2026-12-03T10:00:00Z\", \"verdict\": \"restorable\"}}]}",
    "{\"backups\": [{\"name\": \"a.zip\", \"date\": \"2026-01-01T00:00:00Z\", \"protected\": \"yes\","
    " \"note\": 5, \"kind\": \"weird\", \"verified\": {\"verdict\": \"maybe\", \"at\": 1}}]}",
    "{\"backups\": [{\"name\": \"a.zip\", \"date\": \"2026-01-01T00:00:00Z\", \"protected\": false,"
    " \"note\": \"\", \"verified\": [1, 2]}]}",
    "{\"backups\": [{\"name\": \"a.zip\", \"date\": \"2026-01-01T00:00:00Z\","
    " \"verified\": {\"verdict\": \"not-restorable\", \"x\": {\"at\": 3}}, \"verified\": {\"verdict\": \"unproven\"}}]}",
  };
  const char *text = agree[0];
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) list = NULL;
  g_autoptr(JsonNode) node = NULL;
  g_autofree char *written = NULL;
  OsiBackupInfo *info;

  for (guint i = 0; i < G_N_ELEMENTS (agree); i++)
    assert_readers_agree (agree[i]);

  list = osi_backup_info_list_parse (text, strlen (text), NULL, &error);
  g_assert_no_error (error);
  info = list->pdata[0];
  g_assert_true (osi_backup_info_get_protected (info));
  g_assert_cmpstr (osi_backup_info_get_note (info), ==, "avant la migration");
  g_assert_cmpstr (osi_backup_info_get_kind (info), ==, "scheduled");
  g_assert_cmpstr (osi_backup_info_get_verdict (info), ==, "restorable");
  g_assert_cmpint (g_date_time_to_unix (osi_backup_info_get_verified_at (info)), ==, 1796292000);
  node = osi_backup_info_to_json (info);
  written = json_to_string (node, FALSE);
  g_assert_cmpstr (written, ==,
                   "{\"name\":\"a.zip\",\"date\":\"2026-01-01T00:00:00Z\",\"protected\":true,"
                   "\"note\":\"avant la migration\",\"kind\":\"scheduled\","
                   "\"verified\":{\"at\":\"2026-12-03T10:00:00Z\",\"verdict\":\"restorable\"}}");
  g_clear_pointer (&list, g_ptr_array_unref);

  /* What is of the wrong type or unknown is left out, the entry kept. */
  list = osi_backup_info_list_parse (agree[1], strlen (agree[1]), NULL, &error);
  g_assert_no_error (error);
  info = list->pdata[0];
  g_assert_false (osi_backup_info_get_protected (info));
  g_assert_null (osi_backup_info_get_note (info));
  g_assert_null (osi_backup_info_get_kind (info));
  g_assert_null (osi_backup_info_get_verdict (info));
  g_assert_null (osi_backup_info_get_verified_at (info));
  g_assert_null (osi_backup_info_get_problem (info));
  g_clear_pointer (&list, g_ptr_array_unref);

  /* The last "verified" counts, as json-glib reads it. */
  list = osi_backup_info_list_parse (agree[3], strlen (agree[3]), NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (osi_backup_info_get_verdict (list->pdata[0]), ==, "unproven");
  g_assert_null (osi_backup_info_get_verified_at (list->pdata[0]));
}

static void
assert_round_trip (OsiBackupInfo *info)
{
  g_autoptr(JsonNode) node = osi_backup_info_to_json (info);
  g_autoptr(GError) error = NULL;
  g_autoptr(OsiBackupInfo) again = osi_backup_info_new_from_json (json_node_get_object (node), NULL, &error);
  g_autoptr(JsonNode) node_again = NULL;
  g_autofree char *first = json_to_string (node, FALSE);
  g_autofree char *second = NULL;

  g_assert_no_error (error);
  g_assert_true (_osi_backup_info_same (info, again));
  node_again = osi_backup_info_to_json (again);
  second = json_to_string (node_again, FALSE);
  g_assert_cmpstr (second, ==, first);
}

/* docs/api.md §7.3: "offsite" in list entries and in the copies of
 * GET /offsite, with "local" and "copied"; read by both readers alike,
 * leniently, and written back. */
static void
test_offsite_members (void)
{
  static const char * const states[] = { "pending", "copying", "done", "failed" };
  static const char * const agree[] = {
    /* Odd members: each left out, the entry kept. */
    "{\"backups\": [{\"name\": \"a.zip\", \"date\": \"2026-01-01T00:00:00Z\","
    " \"offsite\": {\"state\": \"lost\", \"at\": \"2026-12-05T15:16:02Z\", \"detail\": \"x\"}}]}",
    "{\"backups\": [{\"name\": \"a.zip\", \"date\": \"2026-01-01T00:00:00Z\","
    " \"offsite\": {\"state\": 3, \"at\": 12, \"detail\": [\"x\"]}, \"local\": \"no\", \"copied\": -5}]}",
    "{\"backups\": [{\"name\": \"a.zip\", \"date\": \"2026-01-01T00:00:00Z\","
    " \"offsite\": \"done\", \"local\": null, \"copied\": 1.5}]}",
    "{\"backups\": [{\"name\": \"a.zip\", \"date\": \"2026-01-01T00:00:00Z\","
    " \"offsite\": {\"state\": \"done\", \"at\": \"yesterday\", \"detail\": \"\"}}]}",
    "{\"backups\": [{\"name\": \"a.zip\", \"date\": \"2026-01-01T00:00:00Z\","
    " \"offsite\": {\"state\": \"failed\", \"x\": {\"state\": \"done\"}}, \"offsite\": {\"state\": \"pending\"}}]}",
    "{\"backups\": [{\"name\": \"a.zip\", \"date\": \"2026-01-01T00:00:00Z\","
    " \"offsite\": {\"state\": \"failed\"}, \"offsite\": 4, \"local\": false, \"local\": true}]}",
    "{\"backups\": [{\"name\": \"a.zip\", \"date\": \"2026-01-01T00:00:00Z\","
    " \"verified\": {\"state\": \"done\"}, \"offsite\": {\"verdict\": \"restorable\"}}]}",
  };
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) list = NULL;
  OsiBackupInfo *info;

  for (guint i = 0; i < G_N_ELEMENTS (agree); i++)
    assert_readers_agree (agree[i]);

  /* Every state, with its date and detail, through both readers and back. */
  for (guint i = 0; i < G_N_ELEMENTS (states); i++)
    {
      g_autofree char *text = g_strdup_printf ("{\"backups\": [{\"name\": \"a.zip\", \"date\": "
                                               "\"2026-01-01T00:00:00Z\", \"offsite\": {\"state\": \"%s\", "
                                               "\"at\": \"2026-12-05T15:16:02Z\", \"detail\": \"%s\"}}]}",
                                               states[i], i % 2 == 0 ? "" : "La passerelle ne répond pas");

      assert_readers_agree (text);
      list = osi_backup_info_list_parse (text, strlen (text), NULL, &error);
      g_assert_no_error (error);
      info = list->pdata[0];
      g_assert_cmpstr (osi_backup_info_get_offsite_state (info), ==, states[i]);
      g_assert_cmpint (g_date_time_to_unix (osi_backup_info_get_offsite_at (info)), ==, 1796483762);
      if (i % 2 == 0)
        g_assert_null (osi_backup_info_get_offsite_detail (info));
      else
        g_assert_cmpstr (osi_backup_info_get_offsite_detail (info), ==, "La passerelle ne répond pas");
      g_assert_true (osi_backup_info_get_local (info));
      g_assert_cmpint (osi_backup_info_get_offsite_copied (info), ==, -1);
      assert_round_trip (info);
      g_clear_pointer (&list, g_ptr_array_unref);
    }

  /* An unknown state is no "offsite" at all: its date and detail go too. */
  list = osi_backup_info_list_parse (agree[0], strlen (agree[0]), NULL, &error);
  g_assert_no_error (error);
  info = list->pdata[0];
  g_assert_null (osi_backup_info_get_offsite_state (info));
  g_assert_null (osi_backup_info_get_offsite_at (info));
  g_assert_null (osi_backup_info_get_offsite_detail (info));
  g_assert_null (osi_backup_info_get_problem (info));
  {
    g_autoptr(JsonNode) node = osi_backup_info_to_json (info);
    g_autofree char *written = json_to_string (node, FALSE);

    g_assert_cmpstr (written, ==, "{\"name\":\"a.zip\",\"date\":\"2026-01-01T00:00:00Z\"}");
  }
  g_clear_pointer (&list, g_ptr_array_unref);

  /* Members of the wrong type: absent. */
  list = osi_backup_info_list_parse (agree[1], strlen (agree[1]), NULL, &error);
  g_assert_no_error (error);
  info = list->pdata[0];
  g_assert_null (osi_backup_info_get_offsite_state (info));
  g_assert_true (osi_backup_info_get_local (info));
  g_assert_cmpint (osi_backup_info_get_offsite_copied (info), ==, -1);
  g_clear_pointer (&list, g_ptr_array_unref);

  /* A date that is none is left out, the state kept. */
  list = osi_backup_info_list_parse (agree[3], strlen (agree[3]), NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (osi_backup_info_get_offsite_state (list->pdata[0]), ==, "done");
  g_assert_null (osi_backup_info_get_offsite_at (list->pdata[0]));
  assert_round_trip (list->pdata[0]);
  g_clear_pointer (&list, g_ptr_array_unref);

  /* The last "offsite" and "local" count, as json-glib reads them. */
  list = osi_backup_info_list_parse (agree[4], strlen (agree[4]), NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (osi_backup_info_get_offsite_state (list->pdata[0]), ==, "pending");
  g_clear_pointer (&list, g_ptr_array_unref);
  list = osi_backup_info_list_parse (agree[5], strlen (agree[5]), NULL, &error);
  g_assert_no_error (error);
  g_assert_null (osi_backup_info_get_offsite_state (list->pdata[0]));
  g_assert_true (osi_backup_info_get_local (list->pdata[0]));
  g_clear_pointer (&list, g_ptr_array_unref);

  /* The members of one object are not read in the other. */
  list = osi_backup_info_list_parse (agree[6], strlen (agree[6]), NULL, &error);
  g_assert_no_error (error);
  g_assert_null (osi_backup_info_get_offsite_state (list->pdata[0]));
  g_assert_null (osi_backup_info_get_verdict (list->pdata[0]));
}

/* A list read again keeps the objects of the backups that did not
 * change: a copy whose state, date, detail or progress changed is a new
 * object, so that what shows it sees the change. */
static void
test_offsite_read_again (void)
{
  static const char * const changes[] = {
    "{\"state\": \"done\", \"at\": \"2026-12-05T15:16:02Z\", \"detail\": \"\"}, \"copied\": 100",
    "{\"state\": \"copying\", \"at\": \"2026-12-05T15:17:02Z\", \"detail\": \"\"}, \"copied\": 100",
    "{\"state\": \"copying\", \"at\": \"2026-12-05T15:16:02Z\", \"detail\": \"HTTP 503\"}, \"copied\": 100",
    "{\"state\": \"copying\", \"at\": \"2026-12-05T15:16:02Z\", \"detail\": \"\"}, \"copied\": 200",
    "{\"state\": \"copying\", \"at\": \"2026-12-05T15:16:02Z\", \"detail\": \"\"}, \"copied\": 100, \"local\": false",
  };
  const char *first = "{\"copies\": [{\"name\": \"a.zip\", \"date\": \"2026-01-01T00:00:00Z\", \"offsite\": "
                      "{\"state\": \"copying\", \"at\": \"2026-12-05T15:16:02Z\", \"detail\": \"\"}, \"copied\": 100}]}";
  g_autoptr(GPtrArray) before = osi_backup_info_offsite_parse (first, strlen (first), NULL, NULL);
  g_autoptr(GPtrArray) again = osi_backup_info_offsite_parse (first, strlen (first), NULL, NULL);

  g_assert_true (_osi_backup_info_same (before->pdata[0], again->pdata[0]));
  for (guint i = 0; i < G_N_ELEMENTS (changes); i++)
    {
      g_autofree char *text = g_strdup_printf ("{\"copies\": [{\"name\": \"a.zip\", \"date\": "
                                               "\"2026-01-01T00:00:00Z\", \"offsite\": %s}]}", changes[i]);
      g_autoptr(GPtrArray) after = osi_backup_info_offsite_parse (text, strlen (text), NULL, NULL);

      g_assert_nonnull (after);
      if (_osi_backup_info_same (before->pdata[0], after->pdata[0]))
        g_error ("taken for the same: %s", text);
    }
}

/* docs/api.md §7.3: GET /offsite's answer, read by the list's reader
 * from its "copies". */
static void
test_offsite_copies (void)
{
  static const char text[] =
    "{\"bucket\": \"osi-backups\", \"prefix\": \"fleet/osi-prod-1/\", \"backups\": 3,"
    " \"copies\": ["
    "  {\"name\": \"backup_20261205_151454.tar.zst\", \"date\": \"2026-12-05T15:14:54Z\", \"size\": 6291823,"
    "   \"sha256\": \"" SHA_LOWER "\", \"local\": true, \"kind\": \"manual\", \"protected\": true,"
    "   \"offsite\": {\"state\": \"copying\", \"at\": \"2026-12-05T15:16:02Z\", \"detail\": \"\"},"
    "   \"copied\": 4194304},"
    "  {\"name\": \"backup_20261201_023000.tar.zst\", \"date\": \"2026-12-01T02:30:00Z\", \"size\": 6280012,"
    "   \"local\": false, \"kind\": \"scheduled\","
    "   \"offsite\": {\"state\": \"done\", \"at\": \"2026-12-01T02:31:40Z\", \"detail\": \"\"},"
    "   \"copied\": 6280012}]}";
  static const char * const refused[] = {
    "{\"backups\": []}", "{\"copies\": {}}", "[]", "{\"copies\": [", "{\"copies\": []} x",
  };
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) copies = osi_backup_info_offsite_parse (text, strlen (text), NULL, &error);
  OsiBackupInfo *info;

  g_assert_no_error (error);
  g_assert_cmpuint (copies->len, ==, 2);
  info = copies->pdata[0];
  g_assert_cmpstr (osi_backup_info_get_name (info), ==, "backup_20261205_151454.tar.zst");
  g_assert_cmpint (osi_backup_info_get_size (info), ==, 6291823);
  g_assert_cmpstr (osi_backup_info_get_sha256 (info), ==, SHA_LOWER);
  g_assert_true (osi_backup_info_get_local (info));
  g_assert_true (osi_backup_info_get_protected (info));
  g_assert_cmpstr (osi_backup_info_get_offsite_state (info), ==, "copying");
  g_assert_cmpint (osi_backup_info_get_offsite_copied (info), ==, 4194304);
  assert_round_trip (info);
  info = copies->pdata[1];
  g_assert_null (osi_backup_info_get_sha256 (info));
  g_assert_false (osi_backup_info_get_local (info));
  g_assert_cmpstr (osi_backup_info_get_kind (info), ==, "scheduled");
  g_assert_cmpstr (osi_backup_info_get_offsite_state (info), ==, "done");
  g_assert_cmpint (osi_backup_info_get_offsite_copied (info), ==, 6280012);
  assert_round_trip (info);
  {
    g_autoptr(JsonNode) node = osi_backup_info_to_json (info);
    g_autofree char *written = json_to_string (node, FALSE);

    g_assert_cmpstr (written, ==,
                     "{\"name\":\"backup_20261201_023000.tar.zst\",\"date\":\"2026-12-01T02:30:00Z\","
                     "\"size\":6280012,\"kind\":\"scheduled\",\"local\":false,"
                     "\"offsite\":{\"state\":\"done\",\"at\":\"2026-12-01T02:31:40Z\",\"detail\":\"\"},"
                     "\"copied\":6280012}");
  }

  for (guint i = 0; i < G_N_ELEMENTS (refused); i++)
    {
      g_autoptr(GError) refusal = NULL;
      g_autoptr(GPtrArray) none = osi_backup_info_offsite_parse (refused[i], strlen (refused[i]), NULL, &refusal);

      g_assert_null (none);
      g_assert_error (refusal, OSI_ERROR, OSI_ERROR_INVALID_DATA);
    }
  /* The list reader does not take copies for backups. */
  {
    g_autoptr(GError) refusal = NULL;
    g_autoptr(GPtrArray) none = osi_backup_info_list_parse (text, strlen (text), NULL, &refusal);

    g_assert_null (none);
    g_assert_error (refusal, OSI_ERROR, OSI_ERROR_INVALID_DATA);
  }
}

static void
test_new (void)
{
  g_autoptr(GDateTime) date = g_date_time_new_utc (2026, 11, 26, 23, 30, 0);
  g_autoptr(OsiBackupInfo) info = osi_backup_info_new ("Été_Sauvegarde.zip", date, -7, SHA_UPPER);

  g_assert_cmpint (osi_backup_info_get_size (info), ==, -1);
  g_assert_cmpstr (osi_backup_info_get_sha256 (info), ==, SHA_LOWER);
  g_assert_cmpstr (osi_backup_info_get_folded_name (info), ==, "ete_sauvegarde.zip");
  /* Local time: 00:30 the next day in Paris. */
  g_assert_cmpstr (osi_backup_info_get_display_date (info), ==, "27/11/2026 00:30");
  g_assert_true (osi_backup_info_get_display_date (info) == osi_backup_info_get_display_date (info));
  g_assert_finalize_object (g_steal_pointer (&info));
}

int
main (int   argc,
      char *argv[])
{
  /* Before anything creates a GDateTime or caches the local time zone. */
  g_setenv ("TZ", TEST_TZ, TRUE);
  tzset ();

  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/backup-info/round-trip", test_round_trip);
  g_test_add_func ("/backup-info/policy-members", test_policy_members);
  g_test_add_func ("/backup-info/offsite-members", test_offsite_members);
  g_test_add_func ("/backup-info/offsite-copies", test_offsite_copies);
  g_test_add_func ("/backup-info/offsite-read-again", test_offsite_read_again);
  g_test_add_func ("/backup-info/old-backend", test_old_backend);
  g_test_add_func ("/backup-info/plain-json-name", test_plain_json_name);
  g_test_add_func ("/backup-info/dates", test_dates);
  g_test_add_func ("/backup-info/invalid-names", test_invalid_names);
  g_test_add_func ("/backup-info/bad-date", test_bad_date);
  g_test_add_func ("/backup-info/size", test_size);
  g_test_add_func ("/backup-info/bad-sha256", test_bad_sha256);
  g_test_add_func ("/backup-info/list", test_list);
  g_test_add_func ("/backup-info/list-invalid", test_list_invalid);
  g_test_add_func ("/backup-info/list-parse", test_list_parse);
  g_test_add_func ("/backup-info/list-tolerant", test_list_tolerant);
  g_test_add_func ("/backup-info/naive-dates", test_naive_dates);
  g_test_add_func ("/backup-info/server-dates", test_server_dates);
  g_test_add_func ("/backup-info/display-name", test_display_name);
  g_test_add_func ("/backup-info/new", test_new);

  return g_test_run ();
}
