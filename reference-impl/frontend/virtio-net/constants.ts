/**
 * The numbers Linux 6.1 `virtio_net` works with on x86-64 with 4 KiB pages
 * (linux-driver-facts §0). Names follow the kernel spelling so a reader can
 * grep both sources for the same word.
 *
 * @module
 */

/** `ETH_HLEN`: Ethernet header. */
export const ETH_HLEN = 14;
/** `VLAN_HLEN`: one 802.1Q tag. */
export const VLAN_HLEN = 4;
/** `ETH_DATA_LEN`: default payload size. */
export const ETH_DATA_LEN = 1500;
/** `ETH_ALEN`: MAC address length. */
export const ETH_ALEN = 6;
/** `MIN_MTU` = `ETH_MIN_MTU` (virtio_net.c:3785). */
export const MIN_MTU = 68;
/** `MAX_MTU` = `ETH_MAX_MTU` (virtio_net.c:3786). */
export const MAX_MTU = 65535;
/** `IP_MAX_MTU`, the packet length mergeable sizing assumes with big packets (:3541-3551). */
export const IP_MAX_MTU = 65535;
/** `GOOD_PACKET_LEN` = ETH_HLEN + VLAN_HLEN + ETH_DATA_LEN (virtio_net.c:35). */
export const GOOD_PACKET_LEN = ETH_HLEN + VLAN_HLEN + ETH_DATA_LEN;
/** `GOOD_COPY_LEN` (virtio_net.c:36). */
export const GOOD_COPY_LEN = 128;
/** `VIRTNET_RX_PAD` = NET_IP_ALIGN + NET_SKB_PAD, 0 + 64 on x86 (virtio_net.c:38). */
export const VIRTNET_RX_PAD = 64;
/** `VIRTIO_XDP_HEADROOM` (virtio_net.c:41). */
export const VIRTIO_XDP_HEADROOM = 256;
/** `PAGE_SIZE` on x86-64. */
export const PAGE_SIZE = 4096;
/** `MAX_SKB_FRAGS` in 6.1: 65536 / PAGE_SIZE + 1 (include/linux/skbuff.h). */
export const MAX_SKB_FRAGS = 17;
/** TX stop and wake threshold `2 + MAX_SKB_FRAGS` (virtio_net.c:1948, :1820, :1696). */
export const TX_STOP_THRESHOLD = 2 + MAX_SKB_FRAGS;
/** `VIRTIO_NET_RSS_MAX_KEY_SIZE` (virtio_net.c:181). */
export const VIRTIO_NET_RSS_MAX_KEY_SIZE = 40;
/** `sizeof(struct padded_vnet_hdr)`: big-mode data starts here in page 0 (virtio_net.c:292-300). */
export const PADDED_VNET_HDR_LEN = 32;
/** `MRG_CTX_HEADER_SHIFT`: mergeable ctx = headroom << 22 | truesize (virtio_net.c:427-442). */
export const MRG_CTX_HEADER_SHIFT = 22;
/** `L1_CACHE_BYTES`: mergeable buffer lengths are aligned to it (get_mergeable_buf_len :1419-1434). */
export const L1_CACHE_BYTES = 64;
/** Size of the page-frag pages RX buffers are carved from (`SKB_FRAG_PAGE_ORDER` 3: 32 KiB). */
export const SKB_FRAG_PAGE_SIZE = 32768;
/** `SKB_DATA_ALIGN(sizeof(struct skb_shared_info))` on x86-64 (320). Used for XDP tailroom. */
export const SKB_SHARED_INFO_SIZE = 320;
/** The CVQ status byte is preset to `~0` before each command, so a device that never writes it reads as failure (:2053). */
export const CTRL_STATUS_PRESET = 0xff;
/** `VIRTIO_NET_NAPI_WEIGHT` = NAPI_POLL_WEIGHT: RX budget per poll. */
export const NAPI_POLL_WEIGHT = 64;
/** ethtool `SPEED_UNKNOWN`: −1 as u32. */
export const SPEED_UNKNOWN = 0xffff_ffff;
/** ethtool `DUPLEX_UNKNOWN`. */
export const DUPLEX_UNKNOWN = 0xff;

/** Negative errno values the front end returns, as in Linux. */
export const errno = Object.freeze({
  EPERM: -1,
  ENOENT: -2,
  EIO: -5,
  ENOMEM: -12,
  EBUSY: -16,
  ENODEV: -19,
  EINVAL: -22,
  ENOSPC: -28,
  ENXIO: -6,
  EPROTO: -71,
  EOPNOTSUPP: -95,
  EADDRNOTAVAIL: -99,
  ETIMEDOUT: -110,
});
