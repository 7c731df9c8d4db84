/*
 * manifest.h - decoding Kubernetes manifests (Pod, StatefulSet, PVC, ...)
 * from a YAML tree into struct object. Internal to the scenario module:
 * used by the scenario loader for top-level documents and for the inline
 * `object` of an `apply` action.
 */
#ifndef SIM_SCENARIO_MANIFEST_H
#define SIM_SCENARIO_MANIFEST_H

#include "base.h"
#include "objects.h"
#include "scenario.h"
#include "scenario_int.h"
#include "ytree.h"

/* Decodes one Kubernetes object document (root is its mapping) into *out.
 * kind was already recognised by obj_kind_parse(apiVersion, kind). Strings
 * and arrays go to s->arena; unmodelled fields are appended to s->ignored
 * (for validate --strict). Returns 0 or a negative SIM_E* with d filled
 * ("file:line:col: path: message"). Record unmodelled fields with
 * scenario__add_ignored() and warnings with scenario__warn()
 * (scenario_int.h); both keep s->ignored / s->warnings growable. */
int manifest_decode(struct scenario *s, const char *file,
                    const struct ynode *root, enum obj_kind kind,
                    struct object *out, struct diag *d);

#endif
