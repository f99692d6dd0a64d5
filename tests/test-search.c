/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <string.h>
#include <time.h>

#include "osi-backup-badges.h"
#include "osi-backup-info.h"
#include "osi-backup-filter-model.h"
#include "osi-search.h"

/* Europe/Paris spelled as a POSIX rule so that the test does not depend on
 * the tzdata installed on the build machine: CET (+1) in winter, CEST (+2)
 * from the last Sunday of March 01:00 UTC to the last Sunday of October. */
#define TEST_TZ "CET-1CEST,M3.5.0,M10.5.0/3"

typedef struct
{
  const char *name;
  const char *utc_date;
  const char *local;      /* what the user sees, for the reader of this file */
} Item;

static const Item items[] = {
  /* 0 */ { "backup_20261126_233000.tar.zst", "2026-11-26T23:30:00Z", "27/11/2026 00:30" },
  /* 1 */ { "Été_Sauvegarde.tar.gz",          "2026-07-14T12:05:00Z", "14/07/2026 14:05" },
  /* 2 */ { "ete_manuel.zip",                 "2025-06-06T08:00:00Z", "06/06/2025 10:00" },
  /* 3 */ { "release-2026.json",              "2025-12-31T22:59:00Z", "31/12/2025 23:59" },
  /* 4 */ { "nightly.tar.zst",                "2026-01-05T09:07:00Z", "05/01/2026 10:07" },
  /* 5 */ { "RAG_KB.json",                    "2025-11-06T07:45:00Z", "06/11/2025 08:45" },
  /* 6 */ { "FÊTE_11.zip",                    "2026-03-29T01:30:00Z", "29/03/2026 03:30" },
};

#define N_ITEMS G_N_ELEMENTS (items)

typedef struct
{
  const char *query;
  const char *expected;   /* one character per item: '1' matches, '0' does not */
} Case;

static const Case cases[] = {
  /* Empty and blank queries match everything. */
  { "",                    "1111111" },
  { "   ",                 "1111111" },
  { "\t \n",               "1111111" },

  /* (a) name fragments, case- and accent-insensitive. */
  { "ete",                 "0110001" },
  { "été",                 "0110001" },
  { "ÉTÉ",                 "0110001" },
  { "Sauvegarde",          "0100000" },
  { "SAUVE",               "0100000" },
  { "fête",                "0000001" },
  { "kb.JSON",             "0000010" },
  { ".json",               "0001010" },
  { "tar",                 "1100100" },
  { "  nightly  ",         "0000100" },
  /* Two digits alone are not a day: only names containing "26". */
  { "26",                  "1001000" },

  /* A 4-digit number is a year and a name fragment. */
  { "2026",                "1101101" },
  { "2025",                "0011010" },

  /* (b) date fragments, in local time. */
  { "27/11/2026",          "1000000" },
  { "26/11/2026",          "0000000" },   /* the UTC day, not the local one */
  { "27/11",               "1000000" },
  { "6/11",                "0000010" },
  { "06/11",               "0000010" },
  { "06/11/2025",          "0000010" },
  { "6/11/2025",           "0000010" },
  { "11/2026",             "1000000" },
  { "11/2025",             "0000010" },
  { "12/2025",             "0001000" },
  { "6/",                  "0010010" },
  { "06/06/",              "0010000" },
  { "31/12/2025",          "0001000" },
  { "29/03/2026",          "0000001" },   /* the day summer time starts */

  /* (c) time fragments, in local time. */
  { "14:05",               "0100000" },
  { "14:",                 "0100000" },
  { "00:30",               "1000000" },
  { "0:30",                "1000000" },
  { "23:",                 "0001000" },
  { "10:",                 "0010100" },
  { "10:07",               "0000100" },
  { "3:30",                "0000001" },
  { "02:30",               "0000000" },

  /* Every term must match. */
  { "27/11 00:30",         "1000000" },
  { "27/11/2026 00:30",    "1000000" },
  { "06/11 10:",           "0000000" },
  { "ete 2026",            "0100001" },
  { "  ete    2026  ",     "0100001" },
  { "\tete\n2026",         "0100001" },
  { "2026 tar 11/2026",    "1000000" },

  /* Non-matches and things that are only name fragments. */
  { "zzz",                 "0000000" },
  { "ete zzz",             "0000000" },
  { "32/",                 "0000000" },
  { "13/2026",             "0000000" },
  { "26/11/26",            "0000000" },
  { "14:5",                "0000000" },
  { "1/2/3/4",             "0000000" },
  { "/11",                 "0000000" },
  { "123/11",              "0000000" },
  { "99999999999999999999/1", "0000000" },
};

static GPtrArray *
make_items (void)
{
  GPtrArray *list = g_ptr_array_new_with_free_func (g_object_unref);

  for (guint i = 0; i < N_ITEMS; i++)
    {
      g_autoptr(GDateTime) date = g_date_time_new_from_iso8601 (items[i].utc_date, NULL);

      g_assert_nonnull (date);
      g_ptr_array_add (list, osi_backup_info_new (items[i].name, date, -1, NULL));
    }

  return list;
}

static void
test_timezone (void)
{
  g_autoptr(GPtrArray) list = make_items ();

  /* If this fails, the other cases would fail for the wrong reason. */
  for (guint i = 0; i < N_ITEMS; i++)
    g_assert_cmpstr (osi_backup_info_get_display_date (list->pdata[i]), ==, items[i].local);
}

static void
test_matcher (void)
{
  g_autoptr(GPtrArray) list = make_items ();

  for (guint c = 0; c < G_N_ELEMENTS (cases); c++)
    {
      g_autoptr(OsiSearchQuery) query = osi_search_query_new (cases[c].query);
      char got[N_ITEMS + 1];

      g_assert_cmpuint (strlen (cases[c].expected), ==, N_ITEMS);

      for (guint i = 0; i < N_ITEMS; i++)
        got[i] = osi_search_query_matches (query, list->pdata[i]) ? '1' : '0';
      got[N_ITEMS] = '\0';

      if (g_strcmp0 (got, cases[c].expected) != 0)
        g_test_message ("query “%s”", cases[c].query);
      g_assert_cmpstr (got, ==, cases[c].expected);
    }
}

/* The terms a query reads, which the list's search field shows as it
 * will use them: words between Unicode blanks, invalid bytes repaired. */
static void
test_split_terms (void)
{
  const char *blanks[] = { NULL, "", " ", "\t\n ", "\u00a0" };

  for (guint b = 0; b < G_N_ELEMENTS (blanks); b++)
    {
      g_auto(GStrv) terms = osi_search_split_terms (blanks[b]);

      g_assert_nonnull (terms);
      g_assert_cmpuint (g_strv_length (terms), ==, 0);
    }

  {
    g_auto(GStrv) terms = osi_search_split_terms (" backup\u00a02025\t14:30\n\xff ");
    const char *expected[] = { "backup", "2025", "14:30", "\ufffd", NULL };

    g_assert_cmpstrv (terms, expected);
  }
}

static void
test_empty (void)
{
  g_autoptr(GPtrArray) list = make_items ();
  const char *blanks[] = { NULL, "", " ", "\t\n ", "\u00a0" };

  for (guint b = 0; b < G_N_ELEMENTS (blanks); b++)
    {
      g_autoptr(OsiSearchQuery) query = osi_search_query_new (blanks[b]);

      g_assert_true (osi_search_query_is_empty (query));
      for (guint i = 0; i < N_ITEMS; i++)
        g_assert_true (osi_search_query_matches (query, list->pdata[i]));
    }

  {
    g_autoptr(OsiSearchQuery) query = osi_search_query_new (" x ");

    g_assert_false (osi_search_query_is_empty (query));
  }
}

static void
test_fold (void)
{
  static const struct {
    const char *in;
    const char *out;
  } folds[] = {
    { "Été_Sauvegarde", "ete_sauvegarde" },
    { "ÉTÉ",            "ete" },
    { "backup_2026.TAR.ZST", "backup_2026.tar.zst" },
    { "naïve Ça",       "naive ca" },
    { "Straße",         "strasse" },
    { "",               "" },
  };

  for (guint i = 0; i < G_N_ELEMENTS (folds); i++)
    {
      g_autofree char *folded = osi_search_fold (folds[i].in);

      g_assert_cmpstr (folded, ==, folds[i].out);
    }

  {
    /* Invalid UTF-8 must not crash nor produce invalid UTF-8. */
    g_autofree char *folded = osi_search_fold ("\xC3\x89t\xFF\xC3");

    g_assert_true (g_utf8_validate (folded, -1, NULL));
    g_assert_true (g_str_has_prefix (folded, "et"));
  }
}

static void
test_cached (void)
{
  g_autoptr(GPtrArray) list = make_items ();
  OsiBackupInfo *info = list->pdata[1];
  const char *folded = osi_backup_info_get_folded_name (info);
  const char *display = osi_backup_info_get_display_date (info);

  g_assert_cmpstr (folded, ==, "ete_sauvegarde.tar.gz");
  g_assert_true (folded == osi_backup_info_get_folded_name (info));
  g_assert_true (display == osi_backup_info_get_display_date (info));
}

static void
test_format_date (void)
{
  g_autoptr(GDateTime) date = g_date_time_new_from_iso8601 ("2026-11-26T23:30:00Z", NULL);
  g_autoptr(GDateTime) summer = g_date_time_new_from_iso8601 ("2026-07-01T22:00:00.9Z", NULL);
  g_autofree char *text = osi_format_date (date);
  g_autofree char *summer_text = osi_format_date (summer);

  g_assert_cmpstr (text, ==, "27/11/2026 00:30");
  g_assert_cmpstr (summer_text, ==, "02/07/2026 00:00");
}

static void
test_perf (void)
{
  g_autoptr(GPtrArray) list = g_ptr_array_new_full (100000, g_object_unref);
  g_autoptr(GDateTime) base = g_date_time_new_from_iso8601 ("2024-01-01T00:00:00Z", NULL);
  g_autoptr(OsiSearchQuery) query = osi_search_query_new ("backup 2025 14:");
  const guint n_items = 100000;
  const guint n_passes = 50;
  guint n_matches = 0;
  gdouble seconds;

  for (guint i = 0; i < n_items; i++)
    {
      g_autoptr(GDateTime) date = g_date_time_add_minutes (base, i * 17);
      g_autofree char *name = g_strdup_printf ("%s_%06u.tar.zst", i % 3 ? "backup" : "sauvegarde_été", i);

      g_ptr_array_add (list, osi_backup_info_new (name, date, 1024 * i, NULL));
    }

  /* The first pass folds every name once; measure it apart. */
  g_test_timer_start ();
  for (guint i = 0; i < n_items; i++)
    n_matches += osi_search_query_matches (query, list->pdata[i]);
  seconds = g_test_timer_elapsed ();
  g_test_message ("first pass (folds names): %.2f ms, %u matches", seconds * 1000, n_matches);

  g_test_timer_start ();
  for (guint p = 0; p < n_passes; p++)
    {
      n_matches = 0;
      for (guint i = 0; i < n_items; i++)
        n_matches += osi_search_query_matches (query, list->pdata[i]);
    }
  seconds = g_test_timer_elapsed () / n_passes;
  g_test_minimized_result (seconds, "matching %u items against a 3-term query: %.3f ms per pass",
                           n_items, seconds * 1000);
  g_assert_cmpuint (n_matches, >, 0);
  g_assert_cmpuint (n_matches, <, n_items);
}

/* The index must agree with the matcher, item by item: every case above
 * over the items, then random queries made of pieces of the items' own
 * names and dates over a few thousand generated backups. */
static void
assert_index_agrees (GPtrArray  *list,
                     const char *text)
{
  g_autoptr(OsiSearchQuery) query = osi_search_query_new (text);
  g_autoptr(OsiSearchIndex) index = osi_search_index_new ((OsiBackupInfo * const *)list->pdata, list->len);
  g_autoptr(GArray) positions = g_array_new (FALSE, FALSE, sizeof (guint));
  guint next = 0;

  osi_search_index_filter (index, query, positions);
  for (guint i = 0; i < list->len; i++)
    {
      gboolean listed = next < positions->len && g_array_index (positions, guint, next) == i;

      if (listed != osi_search_query_matches (query, list->pdata[i]))
        g_error ("query \"%s\", item %u (%s): index says %d", text, i,
                 osi_backup_info_get_name (list->pdata[i]), listed);
      next += listed;
    }
  g_assert_cmpuint (next, ==, positions->len);
}

static void
test_index (void)
{
  g_autoptr(GPtrArray) list = make_items ();
  g_autoptr(GPtrArray) many = g_ptr_array_new_with_free_func (g_object_unref);
  g_autoptr(GRand) rand = g_rand_new_with_seed (20261126);
  g_autoptr(GDateTime) start = g_date_time_new_utc (2024, 1, 1, 0, 0, 0);
  static const char * const pieces[] = { "", "x", "été", "_", ".tar", "zst", "backup_2025", "0", ":", "/" };

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    assert_index_agrees (list, cases[i].query);
  assert_index_agrees (list, "");
  assert_index_agrees (list, "   ");

  for (guint i = 0; i < 3000; i++)
    {
      g_autoptr(GDateTime) date = g_date_time_add_seconds (start, g_rand_double_range (rand, 0, 3.0e7));
      g_autofree char *stamp = g_date_time_format (date, "%Y%m%d_%H%M%S");
      g_autofree char *name = g_strdup_printf ("%s%s%s.tar.zst", i % 7 == 0 ? "Été_" : "backup_", stamp,
                                               i % 5 == 0 ? "_1" : "");

      g_ptr_array_add (many, osi_backup_info_new (name, date, i, NULL));
    }
  for (guint i = 0; i < 400; i++)
    {
      OsiBackupInfo *info = many->pdata[g_rand_int_range (rand, 0, (gint32)many->len)];
      const char *display = osi_backup_info_get_display_date (info);   /* JJ/MM/AAAA HH:MM */
      const char *name = osi_backup_info_get_name (info);
      g_autofree char *date_part = g_strndup (display, g_rand_int_range (rand, 1, 11));
      g_autofree char *time_part = g_strndup (display + 11, g_rand_int_range (rand, 1, 6));
      g_autofree char *name_part = g_strndup (name + g_rand_int_range (rand, 0, 8), g_rand_int_range (rand, 1, 12));
      g_autofree char *text = g_strdup_printf ("%s %s%s %s", i % 2 ? date_part : "", i % 3 ? time_part : "",
                                               pieces[i % G_N_ELEMENTS (pieces)], i % 4 ? "" : name_part);

      assert_index_agrees (many, text);
    }
}

typedef struct
{
  GPtrArray *mirror;   /* what a listener rebuilds from items-changed */
} Listener;

static void
on_items_changed (GListModel *model,
                  guint       position,
                  guint       removed,
                  guint       added,
                  Listener   *listener)
{
  g_ptr_array_remove_range (listener->mirror, position, removed);
  for (guint i = 0; i < added; i++)
    g_ptr_array_insert (listener->mirror, (gint)(position + i), g_list_model_get_item (model, position + i));
}

static void
assert_model_shows (GListModel *model,
                    Listener   *listener,
                    GPtrArray  *list,
                    const char *text)
{
  g_autoptr(OsiSearchQuery) query = osi_search_query_new (text);
  guint n = 0;

  for (guint i = 0; i < list->len; i++)
    if (osi_search_query_matches (query, list->pdata[i]))
      {
        g_autoptr(OsiBackupInfo) item = g_list_model_get_item (model, n);

        g_assert_true (item == list->pdata[i]);
        g_assert_true (listener->mirror->pdata[n] == list->pdata[i]);
        n++;
      }
  g_assert_cmpuint (g_list_model_get_n_items (model), ==, n);
  g_assert_cmpuint (listener->mirror->len, ==, n);
  g_assert_null (g_list_model_get_item (model, n));
}

/* The filter model follows its source and its query, and what it tells
 * listeners through items-changed rebuilds exactly what it holds. */
static void
test_filter_model (void)
{
  g_autoptr(GPtrArray) list = make_items ();
  g_autoptr(GListStore) store = g_list_store_new (OSI_TYPE_BACKUP_INFO);
  g_autoptr(OsiBackupFilterModel) model = NULL;
  Listener listener = { g_ptr_array_new_with_free_func (g_object_unref) };
  static const char * const queries[] = { "ete", "", "2026", "14:05", "zzz", "e", "ete 2026", "06/" };
  OsiBackupInfo *removed;

  g_list_store_splice (store, 0, 0, list->pdata, 3);
  model = osi_backup_filter_model_new (G_LIST_MODEL (store));
  g_assert_true (g_list_model_get_item_type (G_LIST_MODEL (model)) == OSI_TYPE_BACKUP_INFO);
  g_assert_true (osi_backup_filter_model_get_model (model) == G_LIST_MODEL (store));
  g_assert_null (osi_backup_filter_model_get_query (model));
  for (guint i = 0; i < 3; i++)
    g_ptr_array_add (listener.mirror, g_list_model_get_item (G_LIST_MODEL (model), i));
  g_signal_connect (model, "items-changed", G_CALLBACK (on_items_changed), &listener);

  /* The source grows to the whole list, under each query. */
  g_list_store_splice (store, 3, 0, list->pdata + 3, list->len - 3);
  for (guint i = 0; i < G_N_ELEMENTS (queries); i++)
    {
      osi_backup_filter_model_set_query (model, osi_search_query_new (queries[i]));
      g_assert_true ((osi_backup_filter_model_get_query (model) == NULL) == (*queries[i] == '\0'));
      assert_model_shows (G_LIST_MODEL (model), &listener, list, queries[i]);
    }

  /* A backup disappears from the source while a query is active. */
  osi_backup_filter_model_set_query (model, osi_search_query_new ("e"));
  removed = g_object_ref (list->pdata[1]);
  g_list_store_remove (store, 1);
  g_ptr_array_remove_index (list, 1);
  assert_model_shows (G_LIST_MODEL (model), &listener, list, "e");
  g_object_unref (removed);

  osi_backup_filter_model_set_query (model, NULL);
  g_list_store_remove_all (store);
  g_assert_cmpuint (g_list_model_get_n_items (G_LIST_MODEL (model)), ==, 0);
  g_assert_cmpuint (listener.mirror->len, ==, 0);
  g_ptr_array_unref (listener.mirror);
  g_assert_finalize_object (g_steal_pointer (&model));
}

/* What a backup or a server says, as it may be shown: nothing that a
 * terminal or a label would act on, French letters kept. */
static void
test_format_untrusted (void)
{
  static const struct { const char *in; const char *out; } texts[] = {
    { "rag/entrée é.json", "rag/entrée é.json" },
    { "a\033[31mb", "a\\x1B[31mb" },
    { "line\nbreak\rx\ty", "line\\x0Abreak\\x0Dx\\x09y" },
    { "r\xe2\x80\xaetxt.exe", "r\\u202Etxt.exe" },
    { "iso\xe2\x81\xa6x", "iso\\u2066x" },
    { "c1\xc2\x9b" "31m", "c1\\x9B31m" },
    { "back\\slash", "back\\\\slash" },
    { "bad\xff", "bad\xef\xbf\xbd" },
  };

  for (guint i = 0; i < G_N_ELEMENTS (texts); i++)
    {
      g_autofree char *shown = osi_format_untrusted (texts[i].in);

      g_assert_cmpstr (shown, ==, texts[i].out);
    }
  {
    g_autofree char *none = osi_format_untrusted (NULL);

    g_assert_cmpstr (none, ==, "?");
  }
}

/* docs/api.md §6: a term matches the name, the date or the words of the
 * backup's badges (kind, verdict, protection, note). Every query over a
 * list where some backups have badges and some not gives what a plain
 * check of each backup gives. */
static void
test_filter_model_badges (void)
{
  static const char * const kinds[] = { NULL, "manual", "scheduled", "safety", "upload" };
  static const char * const verdicts[] = { NULL, "restorable", "not-restorable", "unproven" };
  static const char * const notes[] = { NULL, "Avant la migration", "été 2026", "" };
  static const char * const queries[] = {
    "scheduled", "SCHED", "safety", "manual", "uploaded", "verified", "failed", "proven", "protected",
    "migration", "ete", "été", "backup", "b", "2026", "14:", "manual protected", "scheduled 2026",
    "verified migration", "a", "e", "zzz", "10/",
  };
  g_autoptr(JsonBuilder) builder = json_builder_new ();
  g_autoptr(JsonNode) root = NULL;
  g_autoptr(GPtrArray) backups = NULL;
  g_autoptr(GListStore) store = g_list_store_new (OSI_TYPE_BACKUP_INFO);
  g_autoptr(OsiBackupFilterModel) model = NULL;
  g_autoptr(GError) error = NULL;

  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, "backups");
  json_builder_begin_array (builder);
  for (guint i = 0; i < 240; i++)
    {
      g_autoptr(GDateTime) base = g_date_time_new_utc (2025, 12, 20, 9, 0, 0);
      g_autoptr(GDateTime) date = g_date_time_add_minutes (base, (int)(i * 397));
      g_autofree char *iso = g_date_time_format_iso8601 (date);
      g_autofree char *name = g_date_time_format (date, "backup_%Y%m%d_%H%M%S.tar.zst");

      json_builder_begin_object (builder);
      json_builder_set_member_name (builder, "name");
      json_builder_add_string_value (builder, name);
      json_builder_set_member_name (builder, "date");
      json_builder_add_string_value (builder, iso);
      if (kinds[i % G_N_ELEMENTS (kinds)] != NULL)
        {
          json_builder_set_member_name (builder, "kind");
          json_builder_add_string_value (builder, kinds[i % G_N_ELEMENTS (kinds)]);
        }
      if (verdicts[(i / 5) % G_N_ELEMENTS (verdicts)] != NULL)
        {
          json_builder_set_member_name (builder, "verified");
          json_builder_begin_object (builder);
          json_builder_set_member_name (builder, "at");
          json_builder_add_string_value (builder, iso);
          json_builder_set_member_name (builder, "verdict");
          json_builder_add_string_value (builder, verdicts[(i / 5) % G_N_ELEMENTS (verdicts)]);
          json_builder_end_object (builder);
        }
      if (i % 7 == 0)
        {
          json_builder_set_member_name (builder, "protected");
          json_builder_add_boolean_value (builder, TRUE);
        }
      if (notes[(i / 3) % G_N_ELEMENTS (notes)] != NULL)
        {
          json_builder_set_member_name (builder, "note");
          json_builder_add_string_value (builder, notes[(i / 3) % G_N_ELEMENTS (notes)]);
        }
      json_builder_end_object (builder);
    }
  json_builder_end_array (builder);
  json_builder_end_object (builder);
  root = json_builder_get_root (builder);
  backups = osi_backup_info_list_from_json (root, NULL, &error);
  g_assert_no_error (error);
  g_list_store_splice (store, 0, 0, backups->pdata, backups->len);
  model = osi_backup_filter_model_new (G_LIST_MODEL (store));

  for (guint q = 0; q < G_N_ELEMENTS (queries); q++)
    {
      g_auto(GStrv) terms = g_strsplit (queries[q], " ", -1);
      guint expected = 0;
      guint shown = 0;

      osi_backup_filter_model_set_search (model, queries[q]);
      for (guint i = 0; i < backups->len; i++)
        {
          OsiBackupInfo *info = g_ptr_array_index (backups, i);
          g_autofree char *tags = osi_backup_dup_search_tags (info);
          gboolean all = TRUE;

          for (guint t = 0; terms[t] != NULL; t++)
            {
              g_autoptr(OsiSearchQuery) one = osi_search_query_new (terms[t]);
              g_autofree char *folded = osi_search_fold (terms[t]);

              all = all && (osi_search_query_matches (one, info) || (tags != NULL && strstr (tags, folded) != NULL));
            }
          if (all)
            {
              g_autoptr(OsiBackupInfo) item = g_list_model_get_item (G_LIST_MODEL (model), shown);

              g_assert_true (item == info);
              shown++;
            }
          expected += all;
        }
      g_assert_cmpuint (g_list_model_get_n_items (G_LIST_MODEL (model)), ==, expected);
      g_test_message ("%s: %u", queries[q], expected);
    }
  /* The words are there: some queries find only through them. */
  osi_backup_filter_model_set_search (model, "protected");
  g_assert_cmpuint (g_list_model_get_n_items (G_LIST_MODEL (model)), ==, (240 + 6) / 7);
  osi_backup_filter_model_set_search (model, "migration");
  g_assert_cmpuint (g_list_model_get_n_items (G_LIST_MODEL (model)), >, 0);
}

int
main (int   argc,
      char *argv[])
{
  /* Before anything creates a GDateTime or caches the local time zone. */
  g_setenv ("TZ", TEST_TZ, TRUE);
  tzset ();

  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/search/timezone", test_timezone);
  g_test_add_func ("/search/matcher", test_matcher);
  g_test_add_func ("/search/empty", test_empty);
  g_test_add_func ("/search/split-terms", test_split_terms);
  g_test_add_func ("/search/fold", test_fold);
  g_test_add_func ("/search/cached", test_cached);
  g_test_add_func ("/search/format-date", test_format_date);
  g_test_add_func ("/search/index", test_index);
  g_test_add_func ("/search/filter-model", test_filter_model);
  g_test_add_func ("/search/filter-model-badges", test_filter_model_badges);
  if (g_test_perf ())
    g_test_add_func ("/search/perf", test_perf);

  g_test_add_func ("/search/format-untrusted", test_format_untrusted);

  return g_test_run ();
}
