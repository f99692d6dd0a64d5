/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <adwaita.h>

G_BEGIN_DECLS

#define OSI_TYPE_APPLICATION (osi_application_get_type ())

G_DECLARE_FINAL_TYPE (OsiApplication, osi_application, OSI, APPLICATION, AdwApplication)

OsiApplication *osi_application_new (void);

G_END_DECLS
