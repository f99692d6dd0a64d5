/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <adwaita.h>

#include "osi-client.h"

G_BEGIN_DECLS

#define OSI_TYPE_WINDOW (osi_window_get_type ())

G_DECLARE_FINAL_TYPE (OsiWindow, osi_window, OSI, WINDOW, AdwApplicationWindow)

OsiWindow *osi_window_new            (GtkApplication *application);
/* The server to manage; NULL shows the connection form. server_label is
 * shown under the title (a profile name or the URL). Refreshes the list. */
void       osi_window_set_client     (OsiWindow      *self,
                                      OsiClient      *client,
                                      const char     *server_label);
OsiClient *osi_window_get_client     (OsiWindow      *self);
/* Shows the window once the first answer about the list is in (the list,
 * or why there is none), so that its first frame shows the backups rather
 * than a loading page; or after max_wait_ms, whichever comes first. */
void       osi_window_present_when_listed (OsiWindow *self,
                                           guint      max_wait_ms);
/* A message in the connection form (a failed demo start, a missing token). */
void       osi_window_show_connect_error (OsiWindow  *self,
                                          const char *message);
void       osi_window_add_toast      (OsiWindow      *self,
                                      AdwToast       *toast);
/* Checks the local files (element type GFile) one after the other, as a
 * drop on the window does; returns how many will be checked. */
guint      osi_window_check_files    (OsiWindow      *self,
                                      GSList         *files);
/* Sends a local backup file to the server, then asks whether to restore
 * it, as the list's restore does. */
void       osi_window_restore_file   (OsiWindow      *self,
                                      const char     *path);
/* docs/api.md §5.2: TRUE when the server is known not to offer feature
 * ("upload", "diff", "verify"…); FALSE while that is not known yet (the
 * window asks once it has listed). */
gboolean   osi_window_server_lacks   (OsiWindow      *self,
                                      const char     *feature);
/* Why no file can be sent to a server without "upload", in words. */
const char *osi_window_no_upload_text (void);

G_END_DECLS
