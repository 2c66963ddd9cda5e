/** The GC controller's stand-in seams now live with the stand-in kubelet (shared with the demo). */
export { readJobOutputAnnotation, resolveReplicasThroughStandIn } from '../../../kubelet/operator-seams.js';
