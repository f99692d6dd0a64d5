/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include "osi-resources.h"
#include "osi-resources-gen.h"

void
osi_resources_ensure (void)
{
  static gsize done = 0;

  if (g_once_init_enter (&done))
    {
      osi_register_resource ();
      g_once_init_leave (&done, 1);
    }
}
