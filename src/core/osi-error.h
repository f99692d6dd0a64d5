/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

#define OSI_ERROR (osi_error_quark ())

typedef enum
{
  OSI_ERROR_INVALID_DATA,        /* malformed JSON, bad field, bad date */
  OSI_ERROR_INVALID_NAME,        /* a backup name outside the allowed grammar */
  OSI_ERROR_VERIFICATION_FAILED, /* an archive did not pass verification */
  OSI_ERROR_UNSAFE_ARCHIVE,      /* refused during extraction */
  OSI_ERROR_LIMIT_EXCEEDED,      /* size, ratio or count limit reached */
  OSI_ERROR_SWAP_FAILED,         /* the data directory could not be swapped */
} OsiErrorCode;

GQuark osi_error_quark (void);

/* Sets a G_IO_ERROR whose code comes from saved_errno and whose message
 * is the sentence format makes, then the system's reason ("Cannot remove
 * “/x”: Permission denied"); paths are bytes, so the message is made
 * valid UTF-8, for it may end up in a label. Returns FALSE, for
 * `return osi_set_error_from_errno (…);`. */
gboolean osi_set_error_from_errno (GError     **error,
                                   int          saved_errno,
                                   const char  *format,
                                   ...) G_GNUC_PRINTF (3, 4);

G_END_DECLS
