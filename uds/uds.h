/* SPDX-License-Identifier: MIT */
/*
 * uds.h - ISO 14229-1 (UDS) vocabulary and response checking, the base of
 * the UDS client.  No I/O, no allocation.
 *
 * Error ranges never overlap: 0 is a positive response, 0x10..0xFF a
 * negative response code (NRC) from the ECU, and negative values are
 * local errors (-errno):
 *   -EBADMSG  response too short (or a negative response without its NRC)
 *   -EPROTO   the response answers another service (wrong SID echo)
 *   -EILSEQ   the response echoes another sub-function
 *   -ETIMEDOUT, transport errors: from the layers below
 */
#ifndef CANRIG_UDS_H
#define CANRIG_UDS_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define UDS_NEGATIVE_RESPONSE 0x7F
#define UDS_POSITIVE_OFFSET   0x40
#define UDS_SUPPRESS_POS      0x80 /* suppressPosRspMsgIndicationBit */
#define UDS_NRC_PENDING	      0x78 /* requestCorrectlyReceived-ResponsePending */

/* Returns the ISO 14229-1 name of an NRC ("requestOutOfRange"), or
 * "reserved" / "vehicleManufacturerSpecific" for unnamed values.
 * Static storage. */
const char *uds_nrc_name(uint8_t nrc);

/* Returns the name of a service id ("ReadDataByIdentifier"), of a request
 * SID or of its positive response SID, or NULL if unknown. */
const char *uds_sid_name(uint8_t sid);

/* Returns 1 if the service's second byte is a sub-function. */
int uds_has_subfunction(uint8_t sid);

/*
 * Checks rsp (rsplen bytes) as the answer to req (reqlen >= 1 bytes).
 * Returns 0 for a positive response that echoes the SID and (where the
 * service has one) the sub-function, the NRC (0x10..0xFF) for a negative
 * response to this service, or -EBADMSG / -EPROTO / -EILSEQ (see above).
 * NRC 0x78 is returned like any other: the caller keeps waiting (P2*).
 */
int uds_check_response(const uint8_t *req, size_t reqlen, const uint8_t *rsp, size_t rsplen);

/* ---- request builders ----
 * Each writes one request into buf (cap bytes) and returns its length, or
 * -ENOSPC if it does not fit, -EINVAL for an argument out of range.
 * Nothing is kept: buf belongs to the caller.
 */

/* 0x10 DiagnosticSessionControl, 0x11 ECUReset, 0x3E TesterPresent (sub
 * 0), 0x85 ControlDTCSetting (1 on, 2 off): SID + sub-function (with the
 * suppress bit if spr). */
int uds_req_sub(uint8_t *buf, size_t cap, uint8_t sid, uint8_t sub, int spr);

/* 0x14 ClearDiagnosticInformation for a 24-bit group (0xFFFFFF: all). */
int uds_req_clear_dtc(uint8_t *buf, size_t cap, uint32_t group);

/* 0x19 ReadDTCInformation: sub-function and its parameter bytes (mask for
 * 0x01/0x02, DTC + record number for 0x04/0x06, none for 0x0A). */
int uds_req_read_dtc(uint8_t *buf, size_t cap, uint8_t sub, const uint8_t *param, size_t n);

/* 0x22 ReadDataByIdentifier of n DIDs (1..). */
int uds_req_read_did(uint8_t *buf, size_t cap, const uint16_t *dids, size_t n);

/* SID + 16-bit identifier + data: 0x2E WriteDataByIdentifier, 0x2F
 * InputOutputControlByIdentifier (data = controlOptionRecord [+ mask]). */
int uds_req_did_data(uint8_t *buf, size_t cap, uint8_t sid, uint16_t did, const uint8_t *data,
		     size_t n);

/* 0x31 RoutineControl: sub-function (1 start, 2 stop, 3 results), routine
 * id and optional record. */
int uds_req_routine(uint8_t *buf, size_t cap, uint8_t sub, uint16_t rid, const uint8_t *rec,
		    size_t n);

/* 0x27 SecurityAccess: sub-function and data (key for even ones). */
int uds_req_security(uint8_t *buf, size_t cap, uint8_t sub, const uint8_t *data, size_t n);

/* 0x28 CommunicationControl: control type and communication type. */
int uds_req_comm_control(uint8_t *buf, size_t cap, uint8_t ctl, uint8_t comm, int spr);

/*
 * addressAndLengthFormatIdentifier: high nibble = size bytes, low nibble =
 * address bytes (1..4 each here).  uds_alfid() returns the smallest that
 * holds addr and size; uds_alfid_check() returns 0 if alfid is usable for
 * them, else -EINVAL.
 */
uint8_t uds_alfid(uint32_t addr, uint32_t size);
int uds_alfid_check(uint8_t alfid, uint32_t addr, uint32_t size);

/* 0x23 ReadMemoryByAddress (data NULL, n 0), 0x3D WriteMemoryByAddress,
 * 0x34 RequestDownload (dfi byte first, no data): SID [dfi] alfid addr
 * size [data]. */
int uds_req_memory(uint8_t *buf, size_t cap, uint8_t sid, uint8_t alfid, uint32_t addr,
		   uint32_t size, const uint8_t *data, size_t n);
int uds_req_download(uint8_t *buf, size_t cap, uint8_t dfi, uint8_t alfid, uint32_t addr,
		     uint32_t size);

/* ---- response parsers ----
 * Each takes a positive response already accepted by uds_check_response()
 * and returns 0 or -EBADMSG when its contents do not add up.  Pointers
 * returned point into rsp and live as long as it does.
 */

/* 0x50: P2 server max (ms) and P2* server max (ms, sent in 10 ms). */
int uds_parse_session(const uint8_t *rsp, size_t len, uint32_t *p2_ms, uint32_t *p2star_ms);

/* 0x67 seed: the bytes after the sub-function (n may be 0).  An all-zero
 * seed means the level is already unlocked: see uds_seed_is_zero(). */
int uds_parse_seed(const uint8_t *rsp, size_t len, const uint8_t **seed, size_t *n);
int uds_seed_is_zero(const uint8_t *seed, size_t n);

/* 0x74 RequestDownload: maxNumberOfBlockLength (whole 0x36 request,
 * SID and counter included).  -EBADMSG if it is < 3 or > 2^32-1. */
int uds_parse_download(const uint8_t *rsp, size_t len, uint32_t *max_block);

/*
 * 0x62: walks the (DID, data) records of a ReadDataByIdentifier answer to
 * the DIDs in dids[0..n).  A record's length comes from len_of(ctx, did)
 * (-1: unknown); an unknown length is allowed only for the last DID asked,
 * which then takes the rest.  Returns 0 once per record via cb (data
 * borrowed from rsp), -EBADMSG if the answer does not match the request
 * (DID not asked for, missing, too short, bytes left over).
 */
typedef int (*uds_did_len_fn)(void *ctx, uint16_t did);
typedef void (*uds_did_cb)(void *ctx, uint16_t did, const uint8_t *data, size_t n);
int uds_parse_read_did(const uint8_t *rsp, size_t len, const uint16_t *dids, size_t n,
		       uds_did_len_fn len_of, void *len_ctx, uds_did_cb cb, void *ctx);

/* ReadDTCInformation results. */
struct uds_dtc {
	uint32_t code;	/* 24-bit DTC */
	uint8_t status; /* DTC status bits, see uds_dtc_status_name() */
};

/* 0x59 0x01 / 0x07: status availability mask, format id and count. */
int uds_parse_dtc_count(const uint8_t *rsp, size_t len, uint8_t *avail, uint8_t *format,
			uint16_t *count);

/*
 * 0x59 0x02 / 0x0A / 0x0F / 0x13 / 0x15 / 0x17: availability mask, then
 * DTC + status records.  Writes up to max records to out and returns the
 * total count in *n (which may exceed max).
 */
int uds_parse_dtc_list(const uint8_t *rsp, size_t len, uint8_t *avail, struct uds_dtc *out,
		       size_t max, size_t *n);

/*
 * 0x59 0x04 (snapshot) and 0x06 (extended data): the DTC and status, and
 * the records after them.  For 0x04 each record is number, DID count and
 * (DID, data) pairs, data length from len_of (unknown: the record's rest,
 * allowed only for its last DID); for 0x06 each record is a number and
 * data of len_of(ctx, number) bytes (-1: the rest).  cb is called per
 * item with did = the DID (0x04) or -1 (0x06).
 */
typedef void (*uds_rec_cb)(void *ctx, uint8_t record, int did, const uint8_t *data, size_t n);
int uds_parse_dtc_records(const uint8_t *rsp, size_t len, struct uds_dtc *dtc,
			  uds_did_len_fn len_of, void *len_ctx, uds_rec_cb cb, void *ctx);

/* DTC status bit i (0..7) name, e.g. "testFailed". */
const char *uds_dtc_status_name(unsigned int bit);

/*
 * The seed-to-key plug-in of `canrig diag unlock --key-lib FILE.so`: the
 * shared object exports
 *   int canrig_seed_key(uint8_t level, const uint8_t *seed, size_t n,
 *                       uint8_t *key, size_t cap);
 * which writes the key for security level (the odd requestSeed value) and
 * returns its length (1..cap), or a negative errno to refuse.  seed is
 * borrowed for the call.
 */
#define UDS_SEEDKEY_SYMBOL "canrig_seed_key"
typedef int (*uds_seedkey_fn)(uint8_t level, const uint8_t *seed, size_t n, uint8_t *key,
			      size_t cap);
/* Declared for plug-ins to define; canrig itself never defines it. */
int canrig_seed_key(uint8_t level, const uint8_t *seed, size_t n, uint8_t *key, size_t cap);

/* CRC-32 (IEEE 802.3, as zlib's crc32()): pass 0 first, then the
 * previous result to continue over more data. */
uint32_t uds_crc32(uint32_t crc, const uint8_t *p, size_t n);

/* The SAE J2012 form of a 24-bit DTC ("P0420-11") into buf (>= 9 bytes). */
void uds_dtc_str(uint32_t code, char *buf);

#ifdef __cplusplus
}
#endif

#endif /* CANRIG_UDS_H */
