/** The native (C++ / N-API) backend. */
export { loadNativeBackend, nativeInfo, setNativeIsa, NativeBackend } from './native_backend.ts';
export { addonLoadError, ADDON_PATH, type NativeInfo, type NativeIsa } from './addon.ts';
