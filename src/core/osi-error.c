/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "osi-core"

#include "config.h"

#include <gio/gio.h>
#include <glib/gi18n-lib.h>

#include "osi-error.h"

G_DEFINE_QUARK (osi-error-quark, osi_error)

gboolean
osi_set_error_from_errno (GError     **error,
                          int          saved_errno,
                          const char  *format,
                          ...)
{
  g_autofree char *sentence = NULL;
  g_autofree char *valid = NULL;
  va_list ap;

  va_start (ap, format);
  sentence = g_strdup_vprintf (format, ap);
  va_end (ap);
  valid = g_utf8_make_valid (sentence, -1);
  /* Translators: a sentence saying what failed, then the system's reason */
  g_set_error (error, G_IO_ERROR, g_io_error_from_errno (saved_errno), C_("errno", "%s: %s"), valid,
               g_strerror (saved_errno));
  return FALSE;
}
