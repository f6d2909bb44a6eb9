import AudioFiles
import DSP
import Neural
import StageKit

// The library enums that stage parameters choose among: their raw values are the words graph files write.

extension ResamplerQuality: ParameterChoice {}
extension WindowFunction: ParameterChoice {}
extension MelFilterbank.Scale: ParameterChoice {}
extension MelFilterbank.Normalization: ParameterChoice {}
extension LogCompression: ParameterChoice {}
extension NormalizationMode: ParameterChoice {}
extension SampleEncoding: ParameterChoice {}
extension Precision: ParameterChoice {}
