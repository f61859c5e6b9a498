/* SPDX-License-Identifier: MIT */
/* uds.c - UDS names and response checks. */
#include <errno.h>
#include <string.h>

#include "uds.h"

struct name {
	uint8_t v;
	const char *s;
};

static const struct name nrcs[] = {
	{0x10, "generalReject"},
	{0x11, "serviceNotSupported"},
	{0x12, "subFunctionNotSupported"},
	{0x13, "incorrectMessageLengthOrInvalidFormat"},
	{0x14, "responseTooLong"},
	{0x21, "busyRepeatRequest"},
	{0x22, "conditionsNotCorrect"},
	{0x24, "requestSequenceError"},
	{0x25, "noResponseFromSubnetComponent"},
	{0x26, "failurePreventsExecutionOfRequestedAction"},
	{0x31, "requestOutOfRange"},
	{0x33, "securityAccessDenied"},
	{0x34, "authenticationRequired"},
	{0x35, "invalidKey"},
	{0x36, "exceededNumberOfAttempts"},
	{0x37, "requiredTimeDelayNotExpired"},
	{0x70, "uploadDownloadNotAccepted"},
	{0x71, "transferDataSuspended"},
	{0x72, "generalProgrammingFailure"},
	{0x73, "wrongBlockSequenceCounter"},
	{0x78, "requestCorrectlyReceivedResponsePending"},
	{0x7E, "subFunctionNotSupportedInActiveSession"},
	{0x7F, "serviceNotSupportedInActiveSession"},
	{0x81, "rpmTooHigh"},
	{0x82, "rpmTooLow"},
	{0x83, "engineIsRunning"},
	{0x84, "engineIsNotRunning"},
	{0x85, "engineRunTimeTooLow"},
	{0x86, "temperatureTooHigh"},
	{0x87, "temperatureTooLow"},
	{0x88, "vehicleSpeedTooHigh"},
	{0x89, "vehicleSpeedTooLow"},
	{0x8A, "throttlePedalTooHigh"},
	{0x8B, "throttlePedalTooLow"},
	{0x8C, "transmissionRangeNotInNeutral"},
	{0x8D, "transmissionRangeNotInGear"},
	{0x8F, "brakeSwitchesNotClosed"},
	{0x90, "shifterLeverNotInPark"},
	{0x91, "torqueConverterClutchLocked"},
	{0x92, "voltageTooHigh"},
	{0x93, "voltageTooLow"},
	{0x94, "resourceTemporarilyNotAvailable"},
};

static const struct name sids[] = {
	{0x10, "DiagnosticSessionControl"},
	{0x11, "ECUReset"},
	{0x14, "ClearDiagnosticInformation"},
	{0x19, "ReadDTCInformation"},
	{0x22, "ReadDataByIdentifier"},
	{0x23, "ReadMemoryByAddress"},
	{0x24, "ReadScalingDataByIdentifier"},
	{0x27, "SecurityAccess"},
	{0x28, "CommunicationControl"},
	{0x29, "Authentication"},
	{0x2A, "ReadDataByPeriodicIdentifier"},
	{0x2C, "DynamicallyDefineDataIdentifier"},
	{0x2E, "WriteDataByIdentifier"},
	{0x2F, "InputOutputControlByIdentifier"},
	{0x31, "RoutineControl"},
	{0x34, "RequestDownload"},
	{0x35, "RequestUpload"},
	{0x36, "TransferData"},
	{0x37, "RequestTransferExit"},
	{0x38, "RequestFileTransfer"},
	{0x3D, "WriteMemoryByAddress"},
	{0x3E, "TesterPresent"},
	{0x83, "AccessTimingParameter"},
	{0x84, "SecuredDataTransmission"},
	{0x85, "ControlDTCSetting"},
	{0x86, "ResponseOnEvent"},
	{0x87, "LinkControl"},
};

static const char *find(const struct name *t, size_t n, uint8_t v)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (t[i].v == v)
			return t[i].s;
	return NULL;
}

const char *uds_nrc_name(uint8_t nrc)
{
	const char *s = find(nrcs, sizeof(nrcs) / sizeof(nrcs[0]), nrc);

	if (s)
		return s;
	/* ISO 14229-1 table A.1: F0-FE are the manufacturer's */
	return nrc >= 0xF0 && nrc <= 0xFE ? "vehicleManufacturerSpecific" : "reserved";
}

const char *uds_sid_name(uint8_t sid)
{
	const char *s = find(sids, sizeof(sids) / sizeof(sids[0]), sid);

	if (!s && sid >= UDS_POSITIVE_OFFSET)
		s = find(sids, sizeof(sids) / sizeof(sids[0]),
			 (uint8_t)(sid - UDS_POSITIVE_OFFSET));
	return s;
}

int uds_has_subfunction(uint8_t sid)
{
	switch (sid) {
	case 0x10:
	case 0x11:
	case 0x19:
	case 0x27:
	case 0x28:
	case 0x29:
	case 0x2C:
	case 0x31:
	case 0x3E:
	case 0x83:
	case 0x85:
	case 0x86:
	case 0x87:
		return 1;
	default:
		return 0;
	}
}

int uds_check_response(const uint8_t *req, size_t reqlen, const uint8_t *rsp, size_t rsplen)
{
	if (!reqlen || !rsplen)
		return -EBADMSG;
	if (rsp[0] == UDS_NEGATIVE_RESPONSE) {
		if (rsplen < 3)
			return -EBADMSG;
		if (rsp[1] != req[0])
			return -EPROTO;
		/* 0x00-0x0F are not negative response codes */
		return rsp[2] >= 0x10 ? rsp[2] : -EBADMSG;
	}
	if (rsp[0] != (uint8_t)(req[0] + UDS_POSITIVE_OFFSET))
		return -EPROTO;
	if (uds_has_subfunction(req[0]) && reqlen >= 2) {
		if (rsplen < 2)
			return -EBADMSG;
		/* the echo leaves out the suppress bit */
		if ((rsp[1] & 0x7F) != (req[1] & 0x7F))
			return -EILSEQ;
	}
	return 0;
}

/* ---- request builders ---- */

static int put(uint8_t *buf, size_t cap, size_t *pos, const uint8_t *src, size_t n)
{
	if (n > cap - *pos)
		return -ENOSPC;
	if (n)
		memcpy(buf + *pos, src, n);
	*pos += n;
	return 0;
}

/* Writes the low n bytes of v big-endian. */
static int put_be(uint8_t *buf, size_t cap, size_t *pos, uint32_t v, unsigned int n)
{
	uint8_t b[4];
	unsigned int i;

	for (i = 0; i < n; i++)
		b[i] = (uint8_t)(v >> (8 * (n - 1 - i)));
	return put(buf, cap, pos, b, n);
}

static int done(int e, size_t pos)
{
	return e ? e : (int)pos;
}

int uds_req_sub(uint8_t *buf, size_t cap, uint8_t sid, uint8_t sub, int spr)
{
	uint8_t b[2] = {sid, (uint8_t)((sub & 0x7F) | (spr ? UDS_SUPPRESS_POS : 0))};
	size_t pos = 0;
	int e;

	if (sub & 0x80)
		return -EINVAL;
	e = put(buf, cap, &pos, b, 2);
	return done(e, pos);
}

int uds_req_clear_dtc(uint8_t *buf, size_t cap, uint32_t group)
{
	size_t pos = 0;
	uint8_t sid = 0x14;
	int e;

	if (group > 0xFFFFFF)
		return -EINVAL;
	e = put(buf, cap, &pos, &sid, 1);
	if (!e)
		e = put_be(buf, cap, &pos, group, 3);
	return done(e, pos);
}

int uds_req_read_dtc(uint8_t *buf, size_t cap, uint8_t sub, const uint8_t *param, size_t n)
{
	uint8_t b[2] = {0x19, sub};
	size_t pos = 0;
	int e;

	if (sub & 0x80)
		return -EINVAL;
	e = put(buf, cap, &pos, b, 2);
	if (!e)
		e = put(buf, cap, &pos, param, n);
	return done(e, pos);
}

int uds_req_read_did(uint8_t *buf, size_t cap, const uint16_t *dids, size_t n)
{
	size_t pos = 0, i;
	uint8_t sid = 0x22;
	int e;

	if (!n)
		return -EINVAL;
	e = put(buf, cap, &pos, &sid, 1);
	for (i = 0; !e && i < n; i++)
		e = put_be(buf, cap, &pos, dids[i], 2);
	return done(e, pos);
}

int uds_req_did_data(uint8_t *buf, size_t cap, uint8_t sid, uint16_t did, const uint8_t *data,
		     size_t n)
{
	size_t pos = 0;
	int e;

	e = put(buf, cap, &pos, &sid, 1);
	if (!e)
		e = put_be(buf, cap, &pos, did, 2);
	if (!e)
		e = put(buf, cap, &pos, data, n);
	return done(e, pos);
}

int uds_req_routine(uint8_t *buf, size_t cap, uint8_t sub, uint16_t rid, const uint8_t *rec,
		    size_t n)
{
	uint8_t b[2] = {0x31, sub};
	size_t pos = 0;
	int e;

	if (sub < 1 || sub > 3)
		return -EINVAL;
	e = put(buf, cap, &pos, b, 2);
	if (!e)
		e = put_be(buf, cap, &pos, rid, 2);
	if (!e)
		e = put(buf, cap, &pos, rec, n);
	return done(e, pos);
}

int uds_req_security(uint8_t *buf, size_t cap, uint8_t sub, const uint8_t *data, size_t n)
{
	uint8_t b[2] = {0x27, sub};
	size_t pos = 0;
	int e;

	/* 0x00, 0x7F and 0x43-0x5E are ISOSAEReserved */
	if (sub == 0 || sub >= 0x7F || (sub >= 0x43 && sub <= 0x5E))
		return -EINVAL;
	e = put(buf, cap, &pos, b, 2);
	if (!e)
		e = put(buf, cap, &pos, data, n);
	return done(e, pos);
}

int uds_req_comm_control(uint8_t *buf, size_t cap, uint8_t ctl, uint8_t comm, int spr)
{
	int n = uds_req_sub(buf, cap, 0x28, ctl, spr), e;
	size_t pos;

	if (n < 0)
		return n;
	pos = (size_t)n;
	e = put(buf, cap, &pos, &comm, 1);
	return done(e, pos);
}

static unsigned int nbytes(uint32_t v)
{
	unsigned int n = 1;

	while (n < 4 && (v >> (8 * n)))
		n++;
	return n;
}

uint8_t uds_alfid(uint32_t addr, uint32_t size)
{
	return (uint8_t)(nbytes(size) << 4 | nbytes(addr));
}

int uds_alfid_check(uint8_t alfid, uint32_t addr, uint32_t size)
{
	unsigned int na = alfid & 0x0F, ns = alfid >> 4;

	if (na < 1 || na > 4 || ns < 1 || ns > 4)
		return -EINVAL;
	if (nbytes(addr) > na || nbytes(size) > ns)
		return -EINVAL;
	return 0;
}

static int put_addr(uint8_t *buf, size_t cap, size_t *pos, uint8_t alfid, uint32_t addr,
		    uint32_t size)
{
	int e;

	if (uds_alfid_check(alfid, addr, size))
		return -EINVAL;
	e = put(buf, cap, pos, &alfid, 1);
	if (!e)
		e = put_be(buf, cap, pos, addr, alfid & 0x0F);
	if (!e)
		e = put_be(buf, cap, pos, size, alfid >> 4);
	return e;
}

int uds_req_memory(uint8_t *buf, size_t cap, uint8_t sid, uint8_t alfid, uint32_t addr,
		   uint32_t size, const uint8_t *data, size_t n)
{
	size_t pos = 0;
	int e;

	if (sid != 0x23 && sid != 0x3D)
		return -EINVAL;
	e = put(buf, cap, &pos, &sid, 1);
	if (!e)
		e = put_addr(buf, cap, &pos, alfid, addr, size);
	if (!e)
		e = put(buf, cap, &pos, data, n);
	return done(e, pos);
}

int uds_req_download(uint8_t *buf, size_t cap, uint8_t dfi, uint8_t alfid, uint32_t addr,
		     uint32_t size)
{
	uint8_t b[2] = {0x34, dfi};
	size_t pos = 0;
	int e;

	e = put(buf, cap, &pos, b, 2);
	if (!e)
		e = put_addr(buf, cap, &pos, alfid, addr, size);
	return done(e, pos);
}

/* ---- response parsers ---- */

int uds_parse_session(const uint8_t *rsp, size_t len, uint32_t *p2_ms, uint32_t *p2star_ms)
{
	/* 50 type P2(2) P2*(2); some ECUs answer with the type only */
	if (len < 6)
		return -EBADMSG;
	*p2_ms = (uint32_t)rsp[2] << 8 | rsp[3];
	*p2star_ms = ((uint32_t)rsp[4] << 8 | rsp[5]) * 10;
	return 0;
}

int uds_parse_seed(const uint8_t *rsp, size_t len, const uint8_t **seed, size_t *n)
{
	if (len < 2)
		return -EBADMSG;
	*seed = rsp + 2;
	*n = len - 2;
	return 0;
}

int uds_seed_is_zero(const uint8_t *seed, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (seed[i])
			return 0;
	return 1;
}

int uds_parse_download(const uint8_t *rsp, size_t len, uint32_t *max_block)
{
	unsigned int nb, i;
	uint64_t v = 0;

	if (len < 3)
		return -EBADMSG;
	nb = rsp[1] >> 4;
	if (!nb || len < 2 + (size_t)nb)
		return -EBADMSG;
	for (i = 0; i < nb; i++) {
		v = v << 8 | rsp[2 + i];
		if (v > UINT32_MAX)
			return -EBADMSG;
	}
	/* SID + counter + at least one data byte */
	if (v < 3)
		return -EBADMSG;
	*max_block = (uint32_t)v;
	return 0;
}

static uint16_t be16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

/* Length of a record for did at rsp[pos], bounded by the answer. */
static int item_len(size_t len, size_t pos, uint16_t did, uds_did_len_fn len_of, void *len_ctx,
		    int last, size_t *n)
{
	int l = len_of ? len_of(len_ctx, did) : -1;

	if (l < 0) {
		if (!last)
			return -EBADMSG;
		*n = len - pos;
		return 0;
	}
	if ((size_t)l > len - pos)
		return -EBADMSG;
	*n = (size_t)l;
	return 0;
}

int uds_parse_read_did(const uint8_t *rsp, size_t len, const uint16_t *dids, size_t n,
		       uds_did_len_fn len_of, void *len_ctx, uds_did_cb cb, void *ctx)
{
	size_t pos = 1, i, dl;

	if (len < 1 || !n)
		return -EBADMSG;
	/* ISO 14229-1 10.2: records come in the order requested */
	for (i = 0; i < n; i++) {
		uint16_t did;

		if (len - pos < 2)
			return -EBADMSG;
		did = be16(rsp + pos);
		if (did != dids[i])
			return -EBADMSG;
		pos += 2;
		if (item_len(len, pos, did, len_of, len_ctx, i + 1 == n, &dl))
			return -EBADMSG;
		if (cb)
			cb(ctx, did, rsp + pos, dl);
		pos += dl;
	}
	return pos == len ? 0 : -EBADMSG;
}

int uds_parse_dtc_count(const uint8_t *rsp, size_t len, uint8_t *avail, uint8_t *format,
			uint16_t *count)
{
	if (len != 6)
		return -EBADMSG;
	*avail = rsp[2];
	*format = rsp[3];
	*count = be16(rsp + 4);
	return 0;
}

int uds_parse_dtc_list(const uint8_t *rsp, size_t len, uint8_t *avail, struct uds_dtc *out,
		       size_t max, size_t *n)
{
	size_t i, cnt;

	if (len < 3 || (len - 3) % 4)
		return -EBADMSG;
	*avail = rsp[2];
	cnt = (len - 3) / 4;
	for (i = 0; i < cnt && i < max; i++) {
		const uint8_t *p = rsp + 3 + 4 * i;

		out[i].code = (uint32_t)p[0] << 16 | (uint32_t)p[1] << 8 | p[2];
		out[i].status = p[3];
	}
	*n = cnt;
	return 0;
}

int uds_parse_dtc_records(const uint8_t *rsp, size_t len, struct uds_dtc *dtc,
			  uds_did_len_fn len_of, void *len_ctx, uds_rec_cb cb, void *ctx)
{
	size_t pos = 6, dl;
	int snap;

	if (len < 6 || (rsp[1] != 0x04 && rsp[1] != 0x06))
		return -EBADMSG;
	snap = rsp[1] == 0x04;
	dtc->code = (uint32_t)rsp[2] << 16 | (uint32_t)rsp[3] << 8 | rsp[4];
	dtc->status = rsp[5];
	while (pos < len) {
		uint8_t rec = rsp[pos++];

		if (!snap) {
			/* extended data: the record's length is the caller's
			 * knowledge; without it the rest is one record */
			if (item_len(len, pos, rec, len_of, len_ctx, 1, &dl))
				return -EBADMSG;
			if (cb)
				cb(ctx, rec, -1, rsp + pos, dl);
			pos += dl;
			continue;
		}
		{
			unsigned int k, nid;

			if (pos >= len)
				return -EBADMSG;
			nid = rsp[pos++];
			for (k = 0; k < nid; k++) {
				uint16_t did;

				if (len - pos < 2)
					return -EBADMSG;
				did = be16(rsp + pos);
				pos += 2;
				if (item_len(len, pos, did, len_of, len_ctx, k + 1 == nid, &dl))
					return -EBADMSG;
				if (cb)
					cb(ctx, rec, did, rsp + pos, dl);
				pos += dl;
			}
		}
	}
	return 0;
}

const char *uds_dtc_status_name(unsigned int bit)
{
	static const char *const n[8] = {
		"testFailed",
		"testFailedThisOperationCycle",
		"pendingDTC",
		"confirmedDTC",
		"testNotCompletedSinceLastClear",
		"testFailedSinceLastClear",
		"testNotCompletedThisOperationCycle",
		"warningIndicatorRequested",
	};

	return bit < 8 ? n[bit] : "?";
}

void uds_dtc_str(uint32_t code, char *buf)
{
	static const char sys[4] = {'P', 'C', 'B', 'U'};
	static const char hex[] = "0123456789ABCDEF";
	unsigned int hi = (code >> 8) & 0xFFFF;

	buf[0] = sys[hi >> 14];
	buf[1] = hex[(hi >> 12) & 0x3];
	buf[2] = hex[(hi >> 8) & 0xF];
	buf[3] = hex[(hi >> 4) & 0xF];
	buf[4] = hex[hi & 0xF];
	buf[5] = '-';
	buf[6] = hex[(code >> 4) & 0xF];
	buf[7] = hex[code & 0xF];
	buf[8] = 0;
}

uint32_t uds_crc32(uint32_t crc, const uint8_t *p, size_t n)
{
	static uint32_t t[256];
	static int ready;
	size_t i;

	if (!ready) {
		for (i = 0; i < 256; i++) {
			uint32_t c = (uint32_t)i;
			int k;

			for (k = 0; k < 8; k++)
				c = c & 1 ? 0xEDB88320u ^ (c >> 1) : c >> 1;
			t[i] = c;
		}
		ready = 1;
	}
	crc = ~crc;
	for (i = 0; i < n; i++)
		crc = t[(crc ^ p[i]) & 0xFF] ^ (crc >> 8);
	return ~crc;
}
