/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <adwaita.h>

#include "osi-profile-store.h"

G_BEGIN_DECLS

/* One server profile in the preferences: its name, address, token, time
 * zone and CA file as editable rows, "Tester la connexion", "Utiliser ce
 * serveur" and "Supprimer". Edits are saved to the store as applied. */
#define OSI_TYPE_SERVER_ROW (osi_server_row_get_type ())

G_DECLARE_FINAL_TYPE (OsiServerRow, osi_server_row, OSI, SERVER_ROW, AdwExpanderRow)

GtkWidget  *osi_server_row_new         (OsiProfileStore *store,
                                        OsiProfile      *profile,
                                        GCancellable    *cancellable);
OsiProfile *osi_server_row_get_profile (OsiServerRow    *self);
void        osi_server_row_edit        (OsiServerRow    *self);

G_END_DECLS
