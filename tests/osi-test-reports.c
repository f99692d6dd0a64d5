/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include "osi-test-reports.h"

void
osi_test_assert_same_reports (OsiVerifyReport *a,
                              OsiVerifyReport *b)
{
  GPtrArray *fa = osi_verify_report_get_findings (a);
  GPtrArray *fb = osi_verify_report_get_findings (b);
  GPtrArray *ea = osi_verify_report_get_entries (a);
  GPtrArray *eb = osi_verify_report_get_entries (b);

  for (guint i = 0; i < MAX (fa->len, fb->len); i++)
    {
      const OsiFinding *x = i < fa->len ? g_ptr_array_index (fa, i) : NULL;
      const OsiFinding *y = i < fb->len ? g_ptr_array_index (fb, i) : NULL;

      /* What differs, said before the assertion stops (only then: the
       * fuzz targets compare every input). */
      if (x == NULL || y == NULL || x->code != y->code || g_strcmp0 (x->path, y->path) != 0 ||
          g_strcmp0 (x->message, y->message) != 0)
        g_test_message ("finding %u: %s “%s”, against %s “%s”", i,
                        x != NULL ? osi_finding_code_to_string (x->code) : "-", x != NULL ? x->message : "",
                        y != NULL ? osi_finding_code_to_string (y->code) : "-", y != NULL ? y->message : "");
      g_assert_nonnull (x);
      g_assert_nonnull (y);
      g_assert_cmpint (x->code, ==, y->code);
      g_assert_cmpstr (x->path, ==, y->path);
      g_assert_cmpstr (x->message, ==, y->message);
    }

  g_assert_cmpuint (ea->len, ==, eb->len);
  for (guint i = 0; i < ea->len; i++)
    {
      const OsiFileEntry *x = g_ptr_array_index (ea, i);
      const OsiFileEntry *y = g_ptr_array_index (eb, i);

      g_assert_cmpstr (x->path, ==, y->path);
      g_assert_cmpint (x->size, ==, y->size);
      g_assert_cmpstr (x->sha256, ==, y->sha256);
      g_assert_cmpint (x->is_dir, ==, y->is_dir);
    }

  g_assert_cmpuint (osi_verify_report_get_content_bytes (a), ==, osi_verify_report_get_content_bytes (b));
  g_assert_cmpint (osi_verify_report_get_verdict (a), ==, osi_verify_report_get_verdict (b));
  g_assert_cmpstr (osi_verify_report_get_format (a), ==, osi_verify_report_get_format (b));
  g_assert_cmpint (osi_verify_report_get_rag_entries (a), ==, osi_verify_report_get_rag_entries (b));
}
