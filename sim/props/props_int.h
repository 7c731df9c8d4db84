/*
 * props_int.h - internals shared by the property checks of sim/props/.
 * Each check file defines one `const struct property` and the registry in
 * props.c points at it.
 */
#ifndef SIM_PROPS_INT_H
#define SIM_PROPS_INT_H

#include "props.h"

#endif
