/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <adwaita.h>

#include "osi-profile-store.h"

G_BEGIN_DECLS

/* Préférences: items per page and download folder (GSettings), and the
 * server profiles with their tokens and "Tester la connexion". */
#define OSI_TYPE_PREFERENCES_WINDOW (osi_preferences_window_get_type ())

G_DECLARE_FINAL_TYPE (OsiPreferencesWindow, osi_preferences_window, OSI, PREFERENCES_WINDOW, AdwPreferencesWindow)

OsiPreferencesWindow *osi_preferences_window_new (GtkWindow       *parent,
                                                  GSettings       *settings,
                                                  OsiProfileStore *profiles);

G_END_DECLS
