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

#define UDS_NEGATIVE_RESPONSE 0x7F
#define UDS_POSITIVE_OFFSET   0x40
#define UDS_SUPPRESS_POS      0x80 /* suppressPosRspMsgIndicationBit */
#define UDS_NRC_PENDING       0x78 /* requestCorrectlyReceived-ResponsePending */

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
int uds_check_response(const uint8_t *req, size_t reqlen, const uint8_t *rsp,
		       size_t rsplen);

#endif /* CANRIG_UDS_H */
