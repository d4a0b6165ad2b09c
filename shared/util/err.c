/* Text for the project's error codes. */
#include <string.h>
#include <lmdb.h>
#include "shared/util/err.h"

const char *ls_strerror(int err)
{
	switch (err) {
	case 0: return "success";
	case LS_EPARSE: return "malformed input";
	case LS_EINVAL_ZONE: return "zone validation failed";
	case LS_ENOZONE: return "no such zone";
	case LS_EEXIST: return "zone already exists";
	case LS_ENOTFOUND: return "no such record";
	case LS_ENOCHANGE: return "no changes";
	case LS_ECONFLICT: return "zone changed meanwhile";
	case LS_EMAPFULL: return "store map full";
	case LS_ESTORE: return "store error";
	case LS_ETOOBIG: return "size or count limit reached";
	case LS_ECONFIG: return "invalid configuration";
	case LS_ECORRUPT: return "data.mdb is damaged (LMDB met a page it cannot use)";
	case LS_ETRUNCATED: return "data.mdb is truncated (shorter than the pages it records)";
	}
	if (err < 0 && err > -4096)
		return strerror(-err);
	return mdb_strerror(err);
}
