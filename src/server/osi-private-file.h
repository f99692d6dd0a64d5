/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* A file that must be its owner's alone: the server's token, the
 * off-site storage's credentials. Whoever else can read it gains what it
 * allows, so it must be a regular file that neither its group nor others
 * may use. Its readers phrase their own messages from what went wrong. */

typedef enum
{
  OSI_PRIVATE_FILE_UNREADABLE,      /* saved_errno says why */
  OSI_PRIVATE_FILE_NOT_REGULAR,
  OSI_PRIVATE_FILE_OPEN_TO_OTHERS,  /* mode holds its permissions */
} OsiPrivateFileProblemKind;

typedef struct
{
  OsiPrivateFileProblemKind kind;
  int                       saved_errno;
  guint                     mode;
} OsiPrivateFileProblem;

char *osi_private_file_read (const char             *path,
                             gsize                   max_size,
                             gsize                  *length,
                             OsiPrivateFileProblem  *problem);

G_END_DECLS
