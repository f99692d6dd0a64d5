/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <stdint.h>
#include <stdlib.h>

#include "osi-backup-info.h"

int LLVMFuzzerTestOneInput (const uint8_t *data, size_t size);

/* json-glib 1.6 wraps an integer literal beyond 64 bits into another
 * number (-1e64 reads as 1), where the streaming reader rightly finds no
 * size: with such a literal in the input, sizes are not compared. */
static gboolean
has_long_integer (const uint8_t *data,
                  size_t         size)
{
  size_t run = 0;

  for (size_t i = 0; i < size; i++)
    {
      run = g_ascii_isdigit (data[i]) ? run + 1 : 0;
      if (run > 18)
        return TRUE;
    }
  return FALSE;
}

/* The streaming list reader on any bytes: no crash, and a list it accepts
 * is one the json-glib tree reader gives too, backup for backup. */
int
LLVMFuzzerTestOneInput (const uint8_t *data,
                        size_t         size)
{
  GError *error = NULL;
  GPtrArray *copies = osi_backup_info_offsite_parse ((const char *)data, size, NULL, &error);
  GPtrArray *list;
  JsonParser *parser;
  GPtrArray *tree;
  gboolean sizes_comparable;

  /* The copies of GET /offsite go through the same reader: no crash,
   * and an error whenever there is no list. */
  if ((copies == NULL) == (error == NULL))
    abort ();
  g_clear_pointer (&copies, g_ptr_array_unref);
  g_clear_error (&error);

  list = osi_backup_info_list_parse ((const char *)data, size, NULL, &error);
  if (list == NULL)
    {
      if (error == NULL)
        abort ();
      g_error_free (error);
      return 0;
    }

  parser = json_parser_new ();
  if (!json_parser_load_from_data (parser, (const char *)data, (gssize)size, NULL))
    abort ();
  tree = osi_backup_info_list_from_json (json_parser_get_root (parser), NULL, NULL);
  if (tree == NULL || tree->len != list->len)
    abort ();
  sizes_comparable = !has_long_integer (data, size);
  for (guint i = 0; i < list->len; i++)
    if (g_strcmp0 (osi_backup_info_get_name (list->pdata[i]), osi_backup_info_get_name (tree->pdata[i])) != 0 ||
        (sizes_comparable && osi_backup_info_get_size (list->pdata[i]) != osi_backup_info_get_size (tree->pdata[i])) ||
        g_strcmp0 (osi_backup_info_get_sha256 (list->pdata[i]), osi_backup_info_get_sha256 (tree->pdata[i])) != 0 ||
        !g_date_time_equal (osi_backup_info_get_date (list->pdata[i]), osi_backup_info_get_date (tree->pdata[i])) ||
        osi_backup_info_get_date_known (list->pdata[i]) != osi_backup_info_get_date_known (tree->pdata[i]) ||
        g_strcmp0 (osi_backup_info_get_problem (list->pdata[i]), osi_backup_info_get_problem (tree->pdata[i])) != 0 ||
        g_strcmp0 (osi_backup_info_get_offsite_state (list->pdata[i]),
                   osi_backup_info_get_offsite_state (tree->pdata[i])) != 0 ||
        g_strcmp0 (osi_backup_info_get_offsite_detail (list->pdata[i]),
                   osi_backup_info_get_offsite_detail (tree->pdata[i])) != 0 ||
        (osi_backup_info_get_offsite_at (list->pdata[i]) == NULL) !=
          (osi_backup_info_get_offsite_at (tree->pdata[i]) == NULL) ||
        osi_backup_info_get_local (list->pdata[i]) != osi_backup_info_get_local (tree->pdata[i]) ||
        (sizes_comparable &&
         osi_backup_info_get_offsite_copied (list->pdata[i]) != osi_backup_info_get_offsite_copied (tree->pdata[i])))
      abort ();
  g_ptr_array_unref (tree);
  g_ptr_array_unref (list);
  g_object_unref (parser);
  return 0;
}
