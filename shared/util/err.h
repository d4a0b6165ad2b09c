/* Project error codes: functions return 0 or a negative -errno or LS_E* code. */
#ifndef LS_ERR_H
#define LS_ERR_H

enum {
	LS_EBASE = -30000,
	LS_EPARSE,      /* input text or wire data is malformed */
	LS_EINVAL_ZONE, /* the zone change breaks a validation rule */
	LS_ENOZONE,     /* no such zone */
	LS_EEXIST,      /* zone already exists */
	LS_ENOTFOUND,   /* no such record or RRset */
	LS_ENOCHANGE,   /* the change leaves the zone as it was */
	LS_ECONFLICT,   /* the zone changed under an edit */
	LS_EMAPFULL,    /* the store's map is full; grow and retry */
	LS_ESTORE,      /* the store reported an error */
	LS_ETOOBIG,     /* a size or count limit was reached */
	LS_ECONFIG,     /* the configuration is invalid */
	LS_ECORRUPT,    /* the store's data file is damaged */
	LS_ETRUNCATED,  /* the store's data file is shorter than the pages it records */
	LS_EEND
};

/* Text for any code this project returns (LS_E*, -errno or an LMDB code). */
const char *ls_strerror(int err);

#endif
