// The Pod types of the fourth round's `set` fields (security contexts, env, volumes and their
// mounts, image pull secrets, DNS, host aliases, lifecycle hooks), exactly as kube-apiserver v1.36
// serves them at /openapi/v3/api/v1: written by Tests/e2e/pod_schema_swift.py from that document,
// and compared with it by test_the_pod_schema_we_check_against_is_the_apiservers.

extension PodSchema {
    static let appArmorProfile = SchemaObject("AppArmorProfile", [("localhostProfile", .string), ("type", .string)], required: ["type"])
    static let seLinuxOptions = SchemaObject("SELinuxOptions", [
        ("level", .string), ("role", .string), ("type", .string), ("user", .string),
    ])
    static let seccompProfile = SchemaObject("SeccompProfile", [("localhostProfile", .string), ("type", .string)], required: ["type"])
    static let sysctl = SchemaObject("Sysctl", [("name", .string), ("value", .string)], required: ["name", "value"])
    static let windowsSecurityContextOptions = SchemaObject("WindowsSecurityContextOptions", [
        ("gmsaCredentialSpec", .string), ("gmsaCredentialSpecName", .string), ("hostProcess", .boolean),
        ("runAsUserName", .string),
    ])
    static let podSecurityContext = SchemaObject("PodSecurityContext", [
        ("appArmorProfile", .object(appArmorProfile)), ("fsGroup", .int64), ("fsGroupChangePolicy", .string),
        ("runAsGroup", .int64), ("runAsNonRoot", .boolean), ("runAsUser", .int64), ("seLinuxChangePolicy", .string),
        ("seLinuxOptions", .object(seLinuxOptions)), ("seccompProfile", .object(seccompProfile)),
        ("supplementalGroups", .list(.int64)), ("supplementalGroupsPolicy", .string), ("sysctls", .list(.object(sysctl))),
        ("windowsOptions", .object(windowsSecurityContextOptions)),
    ])
    static let capabilities = SchemaObject("Capabilities", [("add", .list(.string)), ("drop", .list(.string))])
    static let securityContext = SchemaObject("SecurityContext", [
        ("allowPrivilegeEscalation", .boolean), ("appArmorProfile", .object(appArmorProfile)),
        ("capabilities", .object(capabilities)), ("privileged", .boolean), ("procMount", .string),
        ("readOnlyRootFilesystem", .boolean), ("runAsGroup", .int64), ("runAsNonRoot", .boolean), ("runAsUser", .int64),
        ("seLinuxOptions", .object(seLinuxOptions)), ("seccompProfile", .object(seccompProfile)),
        ("windowsOptions", .object(windowsSecurityContextOptions)),
    ])
    static let configMapKeySelector = SchemaObject("ConfigMapKeySelector", [
        ("key", .string), ("name", .string), ("optional", .boolean),
    ], required: ["key"])
    static let objectFieldSelector = SchemaObject("ObjectFieldSelector", [
        ("apiVersion", .string), ("fieldPath", .string),
    ], required: ["fieldPath"])
    static let fileKeySelector = SchemaObject("FileKeySelector", [
        ("key", .string), ("optional", .boolean), ("path", .string), ("volumeName", .string),
    ], required: ["volumeName", "path", "key"])
    static let resourceFieldSelector = SchemaObject("ResourceFieldSelector", [
        ("containerName", .string), ("divisor", .quantity), ("resource", .string),
    ], required: ["resource"])
    static let secretKeySelector = SchemaObject("SecretKeySelector", [
        ("key", .string), ("name", .string), ("optional", .boolean),
    ], required: ["key"])
    static let envVarSource = SchemaObject("EnvVarSource", [
        ("configMapKeyRef", .object(configMapKeySelector)), ("fieldRef", .object(objectFieldSelector)),
        ("fileKeyRef", .object(fileKeySelector)), ("resourceFieldRef", .object(resourceFieldSelector)),
        ("secretKeyRef", .object(secretKeySelector)),
    ])
    static let envVar = SchemaObject("EnvVar", [
        ("name", .string), ("value", .string), ("valueFrom", .object(envVarSource)),
    ], required: ["name"])
    static let awsElasticBlockStoreVolumeSource = SchemaObject("AWSElasticBlockStoreVolumeSource", [
        ("fsType", .string), ("partition", .int32), ("readOnly", .boolean), ("volumeID", .string),
    ], required: ["volumeID"])
    static let azureDiskVolumeSource = SchemaObject("AzureDiskVolumeSource", [
        ("cachingMode", .string), ("diskName", .string), ("diskURI", .string), ("fsType", .string), ("kind", .string),
        ("readOnly", .boolean),
    ], required: ["diskName", "diskURI"])
    static let azureFileVolumeSource = SchemaObject("AzureFileVolumeSource", [
        ("readOnly", .boolean), ("secretName", .string), ("shareName", .string),
    ], required: ["secretName", "shareName"])
    static let localObjectReference = SchemaObject("LocalObjectReference", [("name", .string)])
    static let cephFSVolumeSource = SchemaObject("CephFSVolumeSource", [
        ("monitors", .list(.string)), ("path", .string), ("readOnly", .boolean), ("secretFile", .string),
        ("secretRef", .object(localObjectReference)), ("user", .string),
    ], required: ["monitors"])
    static let cinderVolumeSource = SchemaObject("CinderVolumeSource", [
        ("fsType", .string), ("readOnly", .boolean), ("secretRef", .object(localObjectReference)), ("volumeID", .string),
    ], required: ["volumeID"])
    static let keyToPath = SchemaObject("KeyToPath", [("key", .string), ("mode", .int32), ("path", .string)], required: ["key", "path"])
    static let configMapVolumeSource = SchemaObject("ConfigMapVolumeSource", [
        ("defaultMode", .int32), ("items", .list(.object(keyToPath))), ("name", .string), ("optional", .boolean),
    ])
    static let csiVolumeSource = SchemaObject("CSIVolumeSource", [
        ("driver", .string), ("fsType", .string), ("nodePublishSecretRef", .object(localObjectReference)), ("readOnly", .boolean),
        ("volumeAttributes", .map(.string)),
    ], required: ["driver"])
    static let downwardAPIVolumeFile = SchemaObject("DownwardAPIVolumeFile", [
        ("fieldRef", .object(objectFieldSelector)), ("mode", .int32), ("path", .string),
        ("resourceFieldRef", .object(resourceFieldSelector)),
    ], required: ["path"])
    static let downwardAPIVolumeSource = SchemaObject("DownwardAPIVolumeSource", [
        ("defaultMode", .int32), ("items", .list(.object(downwardAPIVolumeFile))),
    ])
    static let emptyDirVolumeSource = SchemaObject("EmptyDirVolumeSource", [("medium", .string), ("sizeLimit", .quantity)])
    static let managedFieldsEntry = SchemaObject("ManagedFieldsEntry", [
        ("apiVersion", .string), ("fieldsType", .string), ("fieldsV1", .fieldsV1), ("manager", .string), ("operation", .string),
        ("subresource", .string), ("time", .time),
    ])
    static let ownerReference = SchemaObject("OwnerReference", [
        ("apiVersion", .string), ("blockOwnerDeletion", .boolean), ("controller", .boolean), ("kind", .string), ("name", .string),
        ("uid", .string),
    ], required: ["apiVersion", "kind", "name", "uid"])
    static let objectMeta = SchemaObject("ObjectMeta", [
        ("annotations", .map(.string)), ("creationTimestamp", .time), ("deletionGracePeriodSeconds", .int64),
        ("deletionTimestamp", .time), ("finalizers", .list(.string)), ("generateName", .string), ("generation", .int64),
        ("labels", .map(.string)), ("managedFields", .list(.object(managedFieldsEntry))), ("name", .string),
        ("namespace", .string), ("ownerReferences", .list(.object(ownerReference))), ("resourceVersion", .string),
        ("selfLink", .string), ("uid", .string),
    ])
    static let typedLocalObjectReference = SchemaObject("TypedLocalObjectReference", [
        ("apiGroup", .string), ("kind", .string), ("name", .string),
    ], required: ["kind", "name"])
    static let typedObjectReference = SchemaObject("TypedObjectReference", [
        ("apiGroup", .string), ("kind", .string), ("name", .string), ("namespace", .string),
    ], required: ["kind", "name"])
    static let volumeResourceRequirements = SchemaObject("VolumeResourceRequirements", [
        ("limits", .map(.quantity)), ("requests", .map(.quantity)),
    ])
    static let persistentVolumeClaimSpec = SchemaObject("PersistentVolumeClaimSpec", [
        ("accessModes", .list(.string)), ("dataSource", .object(typedLocalObjectReference)),
        ("dataSourceRef", .object(typedObjectReference)), ("resources", .object(volumeResourceRequirements)),
        ("selector", .object(labelSelector)), ("storageClassName", .string), ("volumeAttributesClassName", .string),
        ("volumeMode", .string), ("volumeName", .string),
    ])
    static let persistentVolumeClaimTemplate = SchemaObject("PersistentVolumeClaimTemplate", [
        ("metadata", .object(objectMeta)), ("spec", .object(persistentVolumeClaimSpec)),
    ], required: ["spec"])
    static let ephemeralVolumeSource = SchemaObject("EphemeralVolumeSource", [
        ("volumeClaimTemplate", .object(persistentVolumeClaimTemplate)),
    ])
    static let fcVolumeSource = SchemaObject("FCVolumeSource", [
        ("fsType", .string), ("lun", .int32), ("readOnly", .boolean), ("targetWWNs", .list(.string)), ("wwids", .list(.string)),
    ])
    static let flexVolumeSource = SchemaObject("FlexVolumeSource", [
        ("driver", .string), ("fsType", .string), ("options", .map(.string)), ("readOnly", .boolean),
        ("secretRef", .object(localObjectReference)),
    ], required: ["driver"])
    static let flockerVolumeSource = SchemaObject("FlockerVolumeSource", [("datasetName", .string), ("datasetUUID", .string)])
    static let gcePersistentDiskVolumeSource = SchemaObject("GCEPersistentDiskVolumeSource", [
        ("fsType", .string), ("partition", .int32), ("pdName", .string), ("readOnly", .boolean),
    ], required: ["pdName"])
    static let gitRepoVolumeSource = SchemaObject("GitRepoVolumeSource", [
        ("directory", .string), ("repository", .string), ("revision", .string),
    ], required: ["repository"])
    static let glusterfsVolumeSource = SchemaObject("GlusterfsVolumeSource", [
        ("endpoints", .string), ("path", .string), ("readOnly", .boolean),
    ], required: ["endpoints", "path"])
    static let hostPathVolumeSource = SchemaObject("HostPathVolumeSource", [("path", .string), ("type", .string)], required: ["path"])
    static let imageVolumeSource = SchemaObject("ImageVolumeSource", [("pullPolicy", .string), ("reference", .string)])
    static let iscsiVolumeSource = SchemaObject("ISCSIVolumeSource", [
        ("chapAuthDiscovery", .boolean), ("chapAuthSession", .boolean), ("fsType", .string), ("initiatorName", .string),
        ("iqn", .string), ("iscsiInterface", .string), ("lun", .int32), ("portals", .list(.string)), ("readOnly", .boolean),
        ("secretRef", .object(localObjectReference)), ("targetPortal", .string),
    ], required: ["targetPortal", "iqn", "lun"])
    static let nfsVolumeSource = SchemaObject("NFSVolumeSource", [
        ("path", .string), ("readOnly", .boolean), ("server", .string),
    ], required: ["server", "path"])
    static let persistentVolumeClaimVolumeSource = SchemaObject("PersistentVolumeClaimVolumeSource", [
        ("claimName", .string), ("readOnly", .boolean),
    ], required: ["claimName"])
    static let photonPersistentDiskVolumeSource = SchemaObject("PhotonPersistentDiskVolumeSource", [
        ("fsType", .string), ("pdID", .string),
    ], required: ["pdID"])
    static let portworxVolumeSource = SchemaObject("PortworxVolumeSource", [
        ("fsType", .string), ("readOnly", .boolean), ("volumeID", .string),
    ], required: ["volumeID"])
    static let clusterTrustBundleProjection = SchemaObject("ClusterTrustBundleProjection", [
        ("labelSelector", .object(labelSelector)), ("name", .string), ("optional", .boolean), ("path", .string),
        ("signerName", .string),
    ], required: ["path"])
    static let configMapProjection = SchemaObject("ConfigMapProjection", [
        ("items", .list(.object(keyToPath))), ("name", .string), ("optional", .boolean),
    ])
    static let downwardAPIProjection = SchemaObject("DownwardAPIProjection", [("items", .list(.object(downwardAPIVolumeFile)))])
    static let podCertificateProjection = SchemaObject("PodCertificateProjection", [
        ("certificateChainPath", .string), ("credentialBundlePath", .string), ("keyPath", .string), ("keyType", .string),
        ("maxExpirationSeconds", .int32), ("signerName", .string), ("userAnnotations", .map(.string)),
    ], required: ["signerName", "keyType"])
    static let secretProjection = SchemaObject("SecretProjection", [
        ("items", .list(.object(keyToPath))), ("name", .string), ("optional", .boolean),
    ])
    static let serviceAccountTokenProjection = SchemaObject("ServiceAccountTokenProjection", [
        ("audience", .string), ("expirationSeconds", .int64), ("path", .string),
    ], required: ["path"])
    static let volumeProjection = SchemaObject("VolumeProjection", [
        ("clusterTrustBundle", .object(clusterTrustBundleProjection)), ("configMap", .object(configMapProjection)),
        ("downwardAPI", .object(downwardAPIProjection)), ("podCertificate", .object(podCertificateProjection)),
        ("secret", .object(secretProjection)), ("serviceAccountToken", .object(serviceAccountTokenProjection)),
    ])
    static let projectedVolumeSource = SchemaObject("ProjectedVolumeSource", [
        ("defaultMode", .int32), ("sources", .list(.object(volumeProjection))),
    ])
    static let quobyteVolumeSource = SchemaObject("QuobyteVolumeSource", [
        ("group", .string), ("readOnly", .boolean), ("registry", .string), ("tenant", .string), ("user", .string),
        ("volume", .string),
    ], required: ["registry", "volume"])
    static let rbdVolumeSource = SchemaObject("RBDVolumeSource", [
        ("fsType", .string), ("image", .string), ("keyring", .string), ("monitors", .list(.string)), ("pool", .string),
        ("readOnly", .boolean), ("secretRef", .object(localObjectReference)), ("user", .string),
    ], required: ["monitors", "image"])
    static let scaleIOVolumeSource = SchemaObject("ScaleIOVolumeSource", [
        ("fsType", .string), ("gateway", .string), ("protectionDomain", .string), ("readOnly", .boolean),
        ("secretRef", .object(localObjectReference)), ("sslEnabled", .boolean), ("storageMode", .string),
        ("storagePool", .string), ("system", .string), ("volumeName", .string),
    ], required: ["gateway", "system", "secretRef"])
    static let secretVolumeSource = SchemaObject("SecretVolumeSource", [
        ("defaultMode", .int32), ("items", .list(.object(keyToPath))), ("optional", .boolean), ("secretName", .string),
    ])
    static let storageOSVolumeSource = SchemaObject("StorageOSVolumeSource", [
        ("fsType", .string), ("readOnly", .boolean), ("secretRef", .object(localObjectReference)), ("volumeName", .string),
        ("volumeNamespace", .string),
    ])
    static let vsphereVirtualDiskVolumeSource = SchemaObject("VsphereVirtualDiskVolumeSource", [
        ("fsType", .string), ("storagePolicyID", .string), ("storagePolicyName", .string), ("volumePath", .string),
    ], required: ["volumePath"])
    static let volume = SchemaObject("Volume", [
        ("awsElasticBlockStore", .object(awsElasticBlockStoreVolumeSource)), ("azureDisk", .object(azureDiskVolumeSource)),
        ("azureFile", .object(azureFileVolumeSource)), ("cephfs", .object(cephFSVolumeSource)),
        ("cinder", .object(cinderVolumeSource)), ("configMap", .object(configMapVolumeSource)), ("csi", .object(csiVolumeSource)),
        ("downwardAPI", .object(downwardAPIVolumeSource)), ("emptyDir", .object(emptyDirVolumeSource)),
        ("ephemeral", .object(ephemeralVolumeSource)), ("fc", .object(fcVolumeSource)), ("flexVolume", .object(flexVolumeSource)),
        ("flocker", .object(flockerVolumeSource)), ("gcePersistentDisk", .object(gcePersistentDiskVolumeSource)),
        ("gitRepo", .object(gitRepoVolumeSource)), ("glusterfs", .object(glusterfsVolumeSource)),
        ("hostPath", .object(hostPathVolumeSource)), ("image", .object(imageVolumeSource)), ("iscsi", .object(iscsiVolumeSource)),
        ("name", .string), ("nfs", .object(nfsVolumeSource)),
        ("persistentVolumeClaim", .object(persistentVolumeClaimVolumeSource)),
        ("photonPersistentDisk", .object(photonPersistentDiskVolumeSource)), ("portworxVolume", .object(portworxVolumeSource)),
        ("projected", .object(projectedVolumeSource)), ("quobyte", .object(quobyteVolumeSource)),
        ("rbd", .object(rbdVolumeSource)), ("scaleIO", .object(scaleIOVolumeSource)), ("secret", .object(secretVolumeSource)),
        ("storageos", .object(storageOSVolumeSource)), ("vsphereVolume", .object(vsphereVirtualDiskVolumeSource)),
    ], required: ["name"])
    static let volumeMount = SchemaObject("VolumeMount", [
        ("mountPath", .string), ("mountPropagation", .string), ("name", .string), ("readOnly", .boolean),
        ("recursiveReadOnly", .string), ("subPath", .string), ("subPathExpr", .string),
    ], required: ["name", "mountPath"])
    static let podDNSConfigOption = SchemaObject("PodDNSConfigOption", [("name", .string), ("value", .string)])
    static let podDNSConfig = SchemaObject("PodDNSConfig", [
        ("nameservers", .list(.string)), ("options", .list(.object(podDNSConfigOption))), ("searches", .list(.string)),
    ])
    static let hostAlias = SchemaObject("HostAlias", [("hostnames", .list(.string)), ("ip", .string)], required: ["ip"])
    static let sleepAction = SchemaObject("SleepAction", [("seconds", .int64)], required: ["seconds"])
    static let lifecycleHandler = SchemaObject("LifecycleHandler", [
        ("exec", .object(execAction)), ("httpGet", .object(httpGetAction)), ("sleep", .object(sleepAction)),
        ("tcpSocket", .object(tcpSocketAction)),
    ])
    static let lifecycle = SchemaObject("Lifecycle", [
        ("postStart", .object(lifecycleHandler)), ("preStop", .object(lifecycleHandler)), ("stopSignal", .string),
    ])
}
