/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include "osi-test-offsite.h"

guint
osi_test_offsite_count_uploads (OsiS3      *s3,
                                const char *prefix,
                                const char *key)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) uploads = osi_s3_list_multipart_uploads (s3, prefix, NULL, &error);
  guint n = 0;

  g_assert_no_error (error);
  for (guint i = 0; i < uploads->len; i++)
    {
      OsiS3Upload *upload = g_ptr_array_index (uploads, i);

      g_test_message ("multipart upload: %s (%s)", upload->key, upload->upload_id);
      if (key == NULL || g_strcmp0 (upload->key, key) == 0)
        n++;
    }
  return n;
}
